"""Trainers' table-top exercises: teams, rounds, budgets and injects, with the model as adjudicator.

script      the exercise file format (YAML, typed schema, checked against the base scenario's network)
adjudicate  a round's results by replaying the base scenario with the line's decisions and injects
store       the shared state: one SQLite file (WAL) per exercise; team.py and facilitate.py its operations
exercises   create, open, list exercises in a data folder; find one by a join code
debrief     timeline, outcomes against no decisions (common random numbers), team contributions
(the after-action report, HTML, is ui/exercise_report.py: sim/ draws nothing)
transfer    export an exercise as one file; import and replay it elsewhere
"""

from .common import ExerciseError
from .exercises import Exercise, create_exercise, create_from_file, find_code, list_exercises, open_exercise
from .script import ExerciseScript, load_script, write_schema

__all__ = ["Exercise", "ExerciseError", "ExerciseScript", "create_exercise", "create_from_file", "find_code",
           "list_exercises", "load_script", "open_exercise", "write_schema"]
