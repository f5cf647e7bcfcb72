# The tests of the API (pytest).
