"""User tasks: the inbox, a task with its form, claim, assign (a manager's reassignment), complete."""

from __future__ import annotations

from flask_smorest import Blueprint

from service.cases import instances as use
from service.cases import queries, reassign
from service.http.context import EARLY_READS, actor, db, early_session
from service.http.schemas import (
    AssignRequest,
    CompleteRequest,
    InstanceOut,
    TaskList,
    TaskOut,
    TaskQuery,
    TaskWithForm,
)
from service.web import texts

TASK_COLUMNS = (
    "id",
    "instance_id",
    "process_key",
    "activity_id",
    "name",
    "role",
    "assignee",
    "status",
    "created_at",
    "due_at",
)

blp = Blueprint("tasks", __name__, url_prefix="/api/v1", description="User tasks")


@blp.route("/tasks")
@blp.arguments(TaskQuery, location="query")
@blp.response(200, TaskList)
def list_tasks(query):
    who = actor()
    items, total = db().read(queries.list_tasks, who, query, use.utcnow())
    named = [
        {
            **{c: getattr(t, c) for c in TASK_COLUMNS},
            "name": texts.task_name(t.process_key, t.activity_id, t.name),
        }
        for t in items
    ]
    return {"items": named, "total": total}


@blp.route("/tasks/<string:task_id>")
@blp.response(200, TaskWithForm)
def get_task(task_id):
    """The task and its form, their texts in the caller's language (field names and values never change)."""
    task = db().read(queries.task_view, actor(), task_id)
    return {
        **task,
        "name": texts.task_name(task["process_key"], task["activity_id"], task["name"]),
        "form": texts.form(task["form"], task["process_key"], task["activity_id"]),
    }


@blp.route("/tasks/<string:task_id>/claim", methods=["POST"])
@blp.response(200, TaskOut)
def claim(task_id):
    return db().run(use.claim_task, actor(), task_id)


@blp.route("/tasks/<string:task_id>/assign", methods=["POST"])
@blp.arguments(AssignRequest)
@blp.response(200, TaskOut)
def assign(body, task_id):
    return db().run(reassign.assign_task, actor(), task_id, body["assignee"])


@blp.route("/tasks/<string:task_id>/complete", methods=["POST"])
@blp.arguments(CompleteRequest)
@blp.response(200, InstanceOut)
def complete(body, task_id):
    who = actor()

    def run(session):
        instance = use.complete_task(session, who, task_id, body["data"])
        return queries.step_view(session, who, instance)

    return db().run(run, begun=early_session())


EARLY_READS[("POST", "/tasks/*/complete")] = lambda session, token, args: use.authenticate_for_task(
    session, token, args["task_id"]
)
