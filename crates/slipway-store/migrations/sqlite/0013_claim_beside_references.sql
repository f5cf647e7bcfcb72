-- PostgreSQL's claim changes its row lock (see migrations/postgres/0013); SQLite's single writer has no row
-- locks, so nothing changes here. The file keeps the two migration lists in lockstep.
SELECT 1;
