# The tests of {{ package_name }} (unittest: `python -m unittest`).
