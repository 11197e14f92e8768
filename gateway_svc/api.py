"""What the gateway puts on /api/v1 beyond what the annotations say."""

from __future__ import annotations

# The original API answered these creations with 201/202; scripts written for it check that.
SUCCESS_STATUS = {
    "/agent_runtime.orchestrator.v1.OrchestratorService/EnqueueTask": 202,
    "/agent_runtime.orchestrator.v1.OrchestratorService/RetryTask": 202,
    "/agent_runtime.gateway.v1.GatewayService/StartPairing": 201,
    "/agent_runtime.scheduler.v1.SchedulerService/CreateObjective": 201,
}
