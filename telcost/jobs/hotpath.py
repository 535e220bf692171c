"""The worker's hot path in as few round trips as the guarantees allow (issue 19 item 2).

A step used to cost its worker 24 round trips on PostgreSQL (16 statements in 4 transactions,
each with its BEGIN and COMMIT) against 5 for a bare django-tasks-db task; this module is what
brings it down to 5: one statement that claims the next task row together with its step (and
marks the job running), one that records the step's success with its job's progress and the
task row's end, and the job's reaction in a transaction of its own (JOBS.md: after the end
commits). The rare cases keep the general code in runner.py, which these fall back to:

- the claim takes the step only if it is queued and its job active and not waiting for its
  chain's lock key; otherwise only the task row is claimed and runner.run_step decides (skip a
  cancelled job's step, take the key or wait for it, or find the step taken);
- the success is one statement only for the last step of a job without a parent, a lock key or
  followers, where nothing else is to be written with it; otherwise it is the same statement
  inside a transaction that then queues the next step or propagates the job's end.

PostgreSQL runs each as one statement with data-modifying CTEs (in autocommit mode, so no BEGIN
and COMMIT either); SQLite has no such CTEs but no network either: a few statements with
RETURNING in one write transaction. Both are raw SQL with their text built once, since on
SQLite the ORM's compiling of each query cost more than the query.
"""

import json
import uuid
from datetime import datetime
from functools import cache

from django.db import connection
from django.db.models import Model
from django_tasks_db.models import DBTaskResult, get_date_max
from django_tasks_db.utils import exclusive_transaction

from telcost.jobs.models import Job, Step

ACTIVE_SQL = "('pending', 'running')"


@cache
def _shape(model: type[Model]) -> tuple[str, list[str], list]:
    """A model's table, attribute names, and per column the converters the ORM applies."""
    fields = model._meta.concrete_fields
    table = model._meta.db_table
    converters = []
    for field in fields:
        col = field.get_col(table)
        converters.append(
            (col, connection.ops.get_db_converters(col) + field.get_db_converters(connection))
        )
    return table, [f.attname for f in fields], converters


def _columns(model: type[Model], alias: str) -> str:
    return ", ".join(f'{alias}."{f.column}"' for f in model._meta.concrete_fields)


def _width(model: type[Model]) -> int:
    return len(model._meta.concrete_fields)


def _instance(model: type[Model], values) -> Model | None:
    """A model instance from a row of its columns (as the ORM would have built it)."""
    if values is None or values[0] is None:
        return None
    _, names, converters = _shape(model)
    converted = []
    for value, (col, funcs) in zip(values, converters, strict=True):
        for func in funcs:
            value = func(value, col, connection)
        converted.append(value)
    return model.from_db(connection.alias, names, converted)


def _at(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _task_key(task_id: str | None):
    """A task row's id as its column holds it (SQLite: 32 hex digits; PostgreSQL: a uuid)."""
    if task_id is None:
        return None
    return DBTaskResult._meta.pk.get_db_prep_value(uuid.UUID(task_id), connection)


def _json(value) -> str | None:
    return None if value is None else json.dumps(value)


# --- the claim ---------------------------------------------------------------------------------


def _queue_filter(queue_names: list[str] | None) -> tuple[str, dict]:
    if not queue_names:
        return "", {}
    names = {f"queue_{i}": name for i, name in enumerate(queue_names)}
    return f" AND queue_name IN ({', '.join(f'%({n})s' for n in names)})", names


@cache
def _pg_claim_sql(queue_filter: str) -> str:
    task = DBTaskResult._meta.db_table
    # The step is taken only from an active job that does not wait for its chain's key; the
    # job is marked running in the same statement (after the step: the order of the locks that
    # recording a success takes, step then job).
    return f"""
WITH task AS (
    UPDATE {task} AS t
    SET status = 'RUNNING', started_at = %(now)s,
        worker_ids = t.worker_ids || jsonb_build_array(%(worker)s::text)
    WHERE t.id = (
        SELECT id FROM {task}
        WHERE status = 'READY' AND backend_name = %(backend)s{queue_filter}
          AND (run_after = %(date_max)s OR run_after <= %(now)s)
        ORDER BY priority DESC, run_after ASC, enqueued_at ASC
        LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING t.*
), step AS (
    UPDATE jobs_step AS s
    SET status = 'running', attempts = s.attempts + 1, heartbeat_at = %(now)s,
        worker = %(step_worker)s, started_at = %(now)s, error = ''
    FROM task, jobs_job AS j
    WHERE task.task_path = %(step_task)s
      AND s.id = (task.args_kwargs -> 'kwargs' ->> 'step_id')::bigint
      AND s.status = 'queued' AND j.id = s.job_id AND j.status IN {ACTIVE_SQL}
      AND (j.lock_key = '' OR j.lock_acquired_at IS NOT NULL)
    RETURNING s.*
), started AS (
    UPDATE jobs_job AS j SET status = 'running', started_at = %(now)s
    FROM step WHERE j.id = step.job_id AND j.status = 'pending'
)
SELECT {_columns(DBTaskResult, "task")}, {_columns(Step, "step")}, {_columns(Job, "job")}
FROM task LEFT JOIN step ON TRUE LEFT JOIN jobs_job AS job ON job.id = step.job_id
"""


@cache
def _sqlite_claim_sql(queue_filter: str) -> tuple[str, str, str]:
    task = DBTaskResult._meta.db_table
    claim_task = f"""
UPDATE {task} SET status = 'RUNNING', started_at = %(now)s,
    worker_ids = json_insert(worker_ids, '$[#]', %(worker)s)
WHERE id = (
    SELECT id FROM {task}
    WHERE status = 'READY' AND backend_name = %(backend)s{queue_filter}
      AND (run_after = %(date_max)s OR run_after <= %(now)s)
    ORDER BY priority DESC, run_after ASC, enqueued_at ASC LIMIT 1)
RETURNING {_columns(DBTaskResult, task)}"""
    claim_step = f"""
UPDATE jobs_step SET status = 'running', attempts = attempts + 1, heartbeat_at = %(now)s,
    worker = %(step_worker)s, started_at = %(now)s, error = ''
WHERE id = %(step)s AND status = 'queued' AND EXISTS (
    SELECT 1 FROM jobs_job AS j WHERE j.id = jobs_step.job_id AND j.status IN {ACTIVE_SQL}
      AND (j.lock_key = '' OR j.lock_acquired_at IS NOT NULL))
RETURNING {_columns(Step, "jobs_step")}"""
    start_job = f"""
UPDATE jobs_job SET
    started_at = CASE WHEN status = 'pending' THEN %(now)s ELSE started_at END,
    status = CASE WHEN status = 'pending' THEN 'running' ELSE status END
WHERE id = %(job)s
RETURNING {_columns(Job, "jobs_job")}"""
    return claim_task, claim_step, start_job


def claim_next(
    *,
    worker_id: str,
    step_worker: str,
    backend_name: str,
    queue_names: list[str] | None,
    step_task_path: str,
    now,
) -> tuple[DBTaskResult, Step | None] | None:
    """Claim the next ready task row (for `worker_id`) and, if it runs a step that can start
    now, the step (for `step_worker`, the runner's identity, which the step's checks of its
    ownership compare with).

    None: nothing is ready. (task row, None): the row is ours, its step (if any) is for the
    general code to judge. (task row, step): both are ours, the step running this worker's new
    attempt, its job (step.job) running.
    """
    queue_filter, queue_params = _queue_filter(queue_names)
    params = {
        "now": _at(now),
        "worker": worker_id,
        "step_worker": step_worker,
        "backend": backend_name,
        "date_max": _at(get_date_max()),
        "step_task": step_task_path,
        **queue_params,
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_pg_claim_sql(queue_filter), params)
            row = cursor.fetchone()
        if row is None:
            return None
        n_task, n_step = _width(DBTaskResult), _width(Step)
        task_row = _instance(DBTaskResult, row[:n_task])
        step = _instance(Step, row[n_task : n_task + n_step])
        job = _instance(Job, row[n_task + n_step :])
        if step is None or job is None:
            return task_row, None
        if job.status == Job.Status.PENDING:  # the statement's own update is not in its snapshot
            job.status, job.started_at = Job.Status.RUNNING, now
    else:
        claim_task, claim_step, start_job = _sqlite_claim_sql(queue_filter)
        with exclusive_transaction(), connection.cursor() as cursor:
            cursor.execute(claim_task, params)
            task_row = _instance(DBTaskResult, cursor.fetchone())
            if task_row is None:
                return None
            if task_row.task_path != step_task_path:
                return task_row, None
            step_id = (task_row.args_kwargs or {}).get("kwargs", {}).get("step_id")
            cursor.execute(claim_step, {**params, "step": step_id})
            step = _instance(Step, cursor.fetchone())
            if step is None:
                return task_row, None
            cursor.execute(start_job, {**params, "job": step.job_id})
            job = _instance(Job, cursor.fetchone())
    step.job = job
    return task_row, step


# --- the success -------------------------------------------------------------------------------

# Nothing else is written with the step's success: no next step, no parent, no lock key, no
# follower. Checked by the statement itself, so a decision taken on the claim's view holds.
_ALONE = f"""
  AND NOT EXISTS (SELECT 1 FROM jobs_step AS n
                  WHERE n.job_id = jobs_step.job_id AND n.position > jobs_step.position)
  AND NOT EXISTS (SELECT 1 FROM jobs_job AS j WHERE j.id = jobs_step.job_id
                  AND (j.parent_id IS NOT NULL OR j.lock_key <> ''))
  AND NOT EXISTS (SELECT 1 FROM jobs_job AS f WHERE f.follows_id = jobs_step.job_id
                  AND f.status IN {ACTIVE_SQL})"""


# Whether active jobs follow the job (a fan-out joined it): they end with it (job_finished).
_FOLLOWED = f"""EXISTS (SELECT 1 FROM jobs_job AS f
            WHERE f.follows_id = {{job}} AND f.status IN {ACTIVE_SQL})"""


@cache
def _pg_success_sql(alone: bool) -> str:
    task = DBTaskResult._meta.db_table
    return f"""
WITH step AS (
    UPDATE jobs_step SET status = 'succeeded', finished_at = %(now)s, result = %(result)s::jsonb
    WHERE id = %(step)s AND status = 'running' AND attempts = %(attempt)s{_ALONE if alone else ""}
    RETURNING job_id, position
), next AS (
    SELECT n.id FROM jobs_step AS n JOIN step
      ON n.job_id = step.job_id AND n.position = step.position + 1
), job AS (
    UPDATE jobs_job AS j SET
        progress_done = j.progress_done + 1,
        result = CASE WHEN %(merge)s::jsonb IS NULL THEN j.result
                      ELSE COALESCE(j.result, '{{}}'::jsonb) || %(merge)s::jsonb END,
        status = CASE WHEN j.status = 'running' AND NOT EXISTS (SELECT 1 FROM next)
                      THEN 'completed' ELSE j.status END,
        finished_at = CASE WHEN j.status = 'running' AND NOT EXISTS (SELECT 1 FROM next)
                           THEN %(now)s ELSE j.finished_at END
    FROM step WHERE j.id = step.job_id
    RETURNING j.*
), task AS (
    UPDATE {task} SET status = 'SUCCESSFUL', finished_at = %(now)s, return_value = NULL,
        exception_class_path = '', traceback = ''
    WHERE id = %(task)s AND status = 'RUNNING' AND (%(always)s OR EXISTS (SELECT 1 FROM step))
)
SELECT (SELECT id FROM next), {_FOLLOWED.format(job="job.id")}, {_columns(Job, "job")} FROM job
"""


@cache
def _sqlite_success_sql() -> tuple[str, str, str, str]:
    task = DBTaskResult._meta.db_table
    step = """
UPDATE jobs_step SET status = 'succeeded', finished_at = %(now)s, result = %(result)s
WHERE id = %(step)s AND status = 'running' AND attempts = %(attempt)s
RETURNING job_id, position"""
    job = f"""
SELECT status, result,
    (SELECT id FROM jobs_step WHERE job_id = %(job)s AND position = %(next)s),
    {_FOLLOWED.format(job="%(job)s")}
FROM jobs_job WHERE id = %(job)s"""
    update = f"""
UPDATE jobs_job SET progress_done = progress_done + 1, result = %(merged)s,
    status = CASE WHEN %(completes)s THEN 'completed' ELSE status END,
    finished_at = CASE WHEN %(completes)s THEN %(now)s ELSE finished_at END
WHERE id = %(job)s
RETURNING {_columns(Job, "jobs_job")}"""
    done = f"""
UPDATE {task} SET status = 'SUCCESSFUL', finished_at = %(now)s, return_value = NULL,
    exception_class_path = '', traceback = ''
WHERE id = %(task)s AND status = 'RUNNING'"""
    return step, job, update, done


def merged_result(job_result, step_result):
    """A step's dict result goes into its job's, key by key; anything else leaves it."""
    return {**(job_result or {}), **step_result} if isinstance(step_result, dict) else job_result


def may_succeed_alone(step: Step) -> bool:
    """Whether the step's success is probably all there is to write (the statement checks)."""
    job = step.job
    return (
        connection.vendor == "postgresql"
        and not job.parent_id
        and not job.lock_key
        and step.position + 1 >= job.progress_total
    )


def record_success(
    step: Step, attempt: int, result, *, task_id: str | None, now, alone: bool = False
) -> tuple[int | None, Job] | None:
    """Record the attempt's success, the job's progress and result and (if it was the last step
    of a running job) its completion, and end the task row. None: the attempt no longer owns the
    step (or, `alone`, something else is to be written with it: see may_succeed_alone).
    Otherwise (the next step's id or None, the job as it is now).

    PostgreSQL with `alone`: one statement, committed by itself; otherwise inside the caller's
    transaction, which goes on from what this returns.
    """
    params = {
        "now": _at(now),
        "result": _json(result),
        "step": step.pk,
        "attempt": attempt,
        "task": _task_key(task_id),
        "always": not alone,
    }
    if connection.vendor == "postgresql":
        params["merge"] = _json(result if isinstance(result, dict) else None)
        with connection.cursor() as cursor:
            cursor.execute(_pg_success_sql(alone), params)
            row = cursor.fetchone()
        if row is None:
            return None
        return row[0], _instance(Job, row[2:]), bool(row[1])
    step_sql, job_sql, update_sql, done_sql = _sqlite_success_sql()
    with connection.cursor() as cursor:
        cursor.execute(step_sql, params)
        owned = cursor.fetchone()
        if owned is not None:
            job_id, position = owned
            cursor.execute(job_sql, {"job": job_id, "next": position + 1})
            status, job_result, next_id, followed = cursor.fetchone()
            completes = status == Job.Status.RUNNING and next_id is None
            merged = merged_result(None if job_result is None else json.loads(job_result), result)
            cursor.execute(
                update_sql,
                {
                    "job": job_id,
                    "merged": _json(merged),
                    "completes": completes,
                    "now": params["now"],
                },
            )
            job = _instance(Job, cursor.fetchone())
        if task_id:
            cursor.execute(done_sql, params)
    if owned is None:
        return None
    return next_id, job, bool(followed)


@cache
def _reacted_sql() -> str:
    return f"""
UPDATE jobs_job SET reacted_at = %(now)s
WHERE id = %(job)s AND reacted_at IS NULL AND status NOT IN {ACTIVE_SQL}
RETURNING {_columns(Job, "jobs_job")}"""


def job_reacted(job_id: int, now) -> Job | None:
    """Record that the ended job's reaction runs (inside its transaction, which this locks the
    row for); None if it ran already or the job is active again."""
    with connection.cursor() as cursor:
        cursor.execute(_reacted_sql(), {"now": _at(now), "job": job_id})
        return _instance(Job, cursor.fetchone())


def task_row_succeeded(task_id: str, now) -> None:
    """End the task row of a step whose outcome was recorded without it."""
    DBTaskResult.objects.filter(id=task_id, status="RUNNING").update(
        status="SUCCESSFUL",
        finished_at=now,
        return_value=None,
        exception_class_path="",
        traceback="",
    )
