"""Re-exports of the shared test helpers, for tests that import them by name."""

from tests.conftest import PASSWORD, csrf_token, sign_in

__all__ = ["PASSWORD", "csrf_token", "sign_in"]


async def finished_run(client, app, response, headers=None) -> dict:
    """A matching run started through the API (202), run by its job, as the API then shows it."""
    from core import jobs

    assert response.status_code == 202, response.text
    run_id = response.json()["id"]
    await jobs.run_job(app.state.database, "matching.run", {"run_id": run_id})
    shown = await client.get(f"/api/v1/matching/runs/{run_id}", headers=headers)
    assert shown.status_code == 200 and shown.json()["status"] == "done", shown.text
    return shown.json()
