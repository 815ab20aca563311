def test_health(service):
    r = service.client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok", "database": "ok", "scheduler": "stopped"}


def test_walk_example(deployed):
    s = deployed
    r = s.post(
        "/process-instances",
        "manager1",
        {
            "process": "example_callback",
            "business_key": "B1",
            "variables": {"caller_ref": "ABC-1", "priority": "high"},
        },
    )
    assert r.status_code == 201, r.get_json()
    inst = r.get_json()
    assert inst["status"] == "running"
    assert [t["activity_id"] for t in inst["active_tasks"]] == ["call_back"]
    assert [d["activity_id"] for d in inst["deadlines"]] == ["call_back_overdue"]
