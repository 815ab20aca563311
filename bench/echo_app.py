"""A Flask app that does no work: it parses the JSON body and answers it back (bench/http_floor.py).

What a request costs before any engine step, database or validation: the ceiling that the
transport alone (gunicorn, Flask, the bench's HTTP clients, sharing the same cores) allows.
"""

from __future__ import annotations

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/api/v1/echo")
def echo():
    return jsonify({"id": "echo", "status": "running", "echo": request.get_json()}), 201
