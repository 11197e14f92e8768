"""The agent the settings call for: the LLM loop with its tools when a provider is
configured, else `NoModelAgent` (answers from retrieval and says no model is configured)."""

from __future__ import annotations

import time

import grpc

from orchestrator_svc.agent import Agent, NoModelAgent
from orchestrator_svc.agent_audit import AgentAudit
from orchestrator_svc.clients import QmdClient, StoreTasks
from orchestrator_svc.config import OrchestratorSettings
from orchestrator_svc.loop import LlmAgent, Policy
from orchestrator_svc.tool_clients import (
    QmdDocuments,
    StoreAgentAudit,
    StoreApprovalRequests,
    StoreContexts,
    StoreGrants,
    StoreObjectives,
    StoreRouting,
)
from orchestrator_svc.tools import drafting, files
from orchestrator_svc.tools.base import Toolbox
from orchestrator_svc.tools.knowledge import knowledge_tools
from orchestrator_svc.tools.objectives import objective_tools
from orchestrator_svc.tools.sensitive import sensitive_tools
from orchestrator_svc.tools.tasking import Quota, tasking_tools
from svckit.llm import open_client


def build_agent(
    settings: OrchestratorSettings,
    store: grpc.aio.Channel,
    qmd_channel: grpc.aio.Channel,
) -> Agent:
    qmd = QmdClient(qmd_channel)
    llm = open_client(
        settings.llm_provider,
        settings.llm_model,
        settings.llm_api_key.get_secret_value(),
        settings.llm_base_url,
        settings.llm_timeout_seconds,
    )
    if llm is None:
        return NoModelAgent(qmd)
    toolbox = build_toolbox(settings, store, qmd_channel)
    reasoning = ""
    if settings.reasoning_prompt_file is not None:
        try:
            reasoning = settings.reasoning_prompt_file.read_text(encoding="utf-8")
        except OSError:
            reasoning = ""
    policy = Policy(
        max_steps=settings.agent_max_loop_steps,
        max_tool_calls=settings.agent_max_tool_calls,
        max_turn_seconds=settings.agent_max_turn_duration_seconds,
        max_input_chars=settings.agent_max_input_chars,
    )
    return LlmAgent(
        llm,
        toolbox,
        qmd,
        settings.workspaces,
        policy=policy,
        native_tools=settings.llm_native_tools,
        reasoning=reasoning,
        context_policy=StoreContexts(store).policy,
        clock=time.time,
        audit=AgentAudit(StoreAgentAudit(store)),
    )


def build_toolbox(
    settings: OrchestratorSettings,
    store: grpc.aio.Channel,
    qmd_channel: grpc.aio.Channel,
) -> Toolbox:
    """Every tool of SPEC.md ("the agent's tools"), each with its JSON schema."""
    qmd = QmdClient(qmd_channel)
    quota = Quota(
        settings.agent_max_autonomous_tasks_per_hour, settings.agent_max_autonomous_tasks_per_day
    )
    return Toolbox(
        [
            *knowledge_tools(qmd, QmdDocuments(qmd_channel)),
            *tasking_tools(StoreTasks(store), StoreRouting(store), time.time, quota),
            *files.TOOLS,
            *drafting.TOOLS,
            *sensitive_tools(StoreApprovalRequests(store), StoreTasks(store)),
            *objective_tools(StoreObjectives(store), StoreGrants(store)),
        ]
    )
