-- The claim skips only rows another claim or write holds, not rows a referencing row's foreign-key check holds.
-- `FOR UPDATE` conflicts with the `FOR KEY SHARE` lock that inserting or updating a row that references a job
-- takes (a pipeline run linked to its job right after the enqueue, an agent's step row), so a claim racing such
-- a statement skipped the job and the node slept until its slow poll: 2 s for a few deliveries in a hundred.
-- `FOR NO KEY UPDATE` is the lock the UPDATE itself takes (it changes no key) and does not conflict with it.
CREATE OR REPLACE FUNCTION slipway_claim_jobs(p_holder text, p_lease_until timestamptz, p_now timestamptz,
                                              p_limit integer, p_kinds text[], p_channel text)
RETURNS SETOF jobs LANGUAGE plpgsql
SET enable_bitmapscan = off SET enable_seqscan = off SET enable_sort = off AS $$
DECLARE
    j jobs;
BEGIN
    FOR j IN
        UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_holder = p_holder,
                        lease_expires_at = p_lease_until, started_at = p_now, updated_at = p_now,
                        event_seq = event_seq + 1
        WHERE id = ANY(ARRAY(
            SELECT id FROM jobs WHERE status = 'queued' AND scheduled_for <= p_now AND kind = ANY(p_kinds)
            ORDER BY priority DESC, scheduled_for, id LIMIT p_limit FOR NO KEY UPDATE SKIP LOCKED))
        RETURNING *
    LOOP
        INSERT INTO job_events (job_id, seq, at, type, payload)
        VALUES (j.id, j.event_seq, p_now, 'status',
                jsonb_build_object('status', 'running', 'attempt', j.attempts, 'node', p_holder));
        IF p_channel IS NOT NULL THEN
            PERFORM pg_notify(p_channel, j.id || ':' || j.event_seq);
        END IF;
        RETURN NEXT j;
    END LOOP;
END
$$;
