"""The 2016-2023 replay: its demand by year, its episodes and its monthly comparison with Frontex."""
