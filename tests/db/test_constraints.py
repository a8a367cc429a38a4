"""Every CHECK constraint rejects a bad value, and says which constraint it was."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import errors
from psycopg.types.json import Jsonb

from src.db.embedded import EmbeddedDatabase
from tests import factories as f

# constraint → (factory, keyword arguments that break it). The world supplies ids by name.
# fmt: off
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "organizations_gp_or_lp": ("make_org", {"is_gp": False, "is_lp": False}),
    "organizations_hq_country_check": ("make_org", {"hq_country": "Germany"}),
    "organizations_name_check": ("make_org", {"name": "   "}),
    "organizations_website_check": ("make_org", {"website": "javascript:alert(1)"}),
    "people_email_check": ("make_person", {"email": "not-an-email"}),
    "people_full_name_check": ("make_person", {"full_name": ""}),
    "employment_access_role_check": ("make_person", {"org_id": "org", "access_role": "owner"}),
    "employment_dates": ("make_employment", {"person_id": "person", "org_id": "org",
                                             "started_on": "2024-05-01", "ended_on": "2020-01-01"}),
    "lp_profiles_aum_musd_check": ("make_lp", {"aum_musd": -5}),
    "lp_profiles_check_size_max_musd_check": ("make_lp", {"check_size_max_musd": 1_000_001}),
    "lp_profiles_check_size_min_musd_check": ("make_lp", {"check_size_min_musd": -1}),
    "lp_profiles_check_size_range": ("make_lp", {"check_size_min_musd": 50, "check_size_max_musd": 10}),
    "lp_profiles_data_quality_score_check": ("make_lp", {"data_quality_score": 2}),
    "lp_profiles_fund_size_max_musd_check": ("make_lp", {"fund_size_max_musd": -1}),
    "lp_profiles_fund_size_min_musd_check": ("make_lp", {"fund_size_min_musd": -1}),
    "lp_profiles_fund_size_range": ("make_lp", {"fund_size_min_musd": 500, "fund_size_max_musd": 100}),
    "lp_profiles_lp_type_check": ("make_lp", {"lp_type": "hedge_fund"}),
    "lp_profiles_min_track_record_years_check": ("make_lp", {"min_track_record_years": 51}),
    "lp_profiles_private_markets_allocation_pct_check": ("make_lp", {"private_markets_allocation_pct": 101}),
    "lp_profiles_region_check": ("make_lp", {"region": "atlantis"}),
    "gp_profiles_aum_musd_check": ("make_gp_profile", {"org_id": "new_gp", "aum_musd": -1}),
    "gp_profiles_founded_year_check": ("make_gp_profile", {"org_id": "new_gp", "founded_year": 1492}),
    "gp_profiles_team_size_check": ("make_gp_profile", {"org_id": "new_gp", "team_size": -3}),
    "funds_cap_at_least_target": ("make_fund", {"org_id": "org", "target_size_musd": 500, "hard_cap_musd": 400}),
    "funds_fund_number_check": ("make_fund", {"org_id": "org", "fund_number": 0}),
    "funds_hard_cap_musd_check": ("make_fund", {"org_id": "org", "hard_cap_musd": 2_000_000}),
    "funds_name_check": ("make_fund", {"org_id": "org", "name": " "}),
    "funds_status_check": ("make_fund", {"org_id": "org", "status": "open"}),
    "funds_strategy_check": ("make_fund", {"org_id": "org", "strategy": "Buyout!"}),
    "funds_target_size_musd_check": ("make_fund", {"org_id": "org", "target_size_musd": 2_000_000, "hard_cap_musd": None}),
    "fund_track_records_net_irr_pct_check": ("make_track_record", {"fund_id": "fund", "net_irr_pct": -150}),
    "fund_track_records_size_musd_check": ("make_track_record", {"fund_id": "fund", "size_musd": -1}),
    "fund_track_records_tvpi_check": ("make_track_record", {"fund_id": "fund", "tvpi": -0.5}),
    "fund_track_records_vintage_year_check": ("make_track_record", {"fund_id": "fund", "vintage_year": 1900}),
    "investments_amount_musd_check": ("make_investment", {"lp_org_id": "lp", "amount_musd": -10}),
    "investments_confidence_check": ("make_investment", {"lp_org_id": "lp", "confidence": 1.5}),
    "investments_source_check": ("make_investment", {"lp_org_id": "lp", "source": "rumour"}),
    "investments_strategy_check": ("make_investment", {"lp_org_id": "lp", "strategy": "PE Buyout"}),
    "investments_vintage_year_check": ("make_investment", {"lp_org_id": "lp", "vintage_year": 3000}),
    "scoring_weights_kind_check": ("make_scoring_weights", {"kind": "magic"}),
    "scoring_weights_weights_check": ("make_scoring_weights", {"weights": Jsonb([1, 2])}),
    "embeddings_check": ("make_embedding", {"entity_id": "lp", "dims": 4}),
    "embeddings_dims_check": ("make_embedding", {"entity_id": "lp", "dims": 5000, "embedding": f"[{','.join(['0.1'] * 5000)}]"}),
    "embeddings_entity_type_check": ("make_embedding", {"entity_id": "lp", "entity_type": "lp_name"}),
    "embeddings_market_rows": ("make_embedding", {"entity_id": "lp", "entity_type": "fund_thesis"}),
    "fund_lp_matches_collaborative_score_check": ("make_match", {"collaborative_score": 101}),
    "fund_lp_matches_confidence_check": ("make_match", {"confidence": -0.1}),
    "fund_lp_matches_debate_score_check": ("make_match", {"debate_score": -1}),
    "fund_lp_matches_recommendation_check": ("make_match", {"recommendation": "yolo"}),
    "fund_lp_matches_rule_score_check": ("make_match", {"rule_score": 100.5}),
    "fund_lp_matches_score_check": ("make_match", {"score": 140}),
    "fund_lp_matches_semantic_score_check": ("make_match", {"semantic_score": -3}),
    "fund_lp_status_dismiss_reason_check": ("make_status", {"interest": "not_interested", "dismiss_reason": "meh"}),
    "fund_lp_status_interest_check": ("make_status", {"interest": "curious"}),
    "fund_lp_status_reason_when_dismissed": ("make_status", {"interest": "not_interested"}),
    "fund_lp_status_stage_check": ("make_status", {"stage": "closed_won"}),
    "pipeline_events_kind_check": ("make_pipeline_event", {"kind": "gossip"}),
    "fund_decks_file_name_check": ("make_deck", {"fund_id": "fund", "file_name": ""}),
    "fund_decks_size_bytes_check": ("make_deck", {"fund_id": "fund", "size_bytes": 26214401}),
    "fund_decks_page_count_check": ("make_deck", {"fund_id": "fund", "page_count": 0}),
    "fund_decks_status_check": ("make_deck", {"fund_id": "fund", "status": "maybe"}),
    "fund_decks_proposals_check": ("make_deck", {"fund_id": "fund", "proposals": Jsonb([1])}),
    "fund_decks_path_in_org_folder": ("make_deck", {"fund_id": "fund", "storage_path": "../../etc/passwd.pdf"}),
    "funds_published_complete": ("make_fund", {"org_id": "org", "strategy": None}),
    "funds_sizes_positive": ("make_fund", {"org_id": "org", "target_size_musd": 0}),
    "match_feedback_rating_check": ("make_feedback", {"match_id": "match", "rating": 5}),
    "match_outcomes_amount_musd_check": ("make_outcome", {"amount_musd": -1}),
    "match_outcomes_outcome_check": ("make_outcome", {"outcome": "maybe"}),
    "pitches_kind_check": ("make_pitch", {"match_id": "match", "kind": "tweet"}),
    "pitches_tone_check": ("make_pitch", {"match_id": "match", "tone": "angry"}),
    "pitch_versions_generated_by_check": ("make_pitch_version", {"pitch_id": "pitch", "generated_by": "intern"}),
    "pitch_versions_review_check": ("make_pitch_version", {"pitch_id": "pitch", "review": Jsonb([1])}),
    "pitch_versions_version_check": ("make_pitch_version", {"pitch_id": "pitch", "version": 0}),
    "agent_debates_bear_score_check": ("make_debate", {"bear_score": 101}),
    "agent_debates_bull_score_check": ("make_debate", {"bull_score": -1}),
    "agent_debates_confidence_check": ("make_debate", {"confidence": 1.01}),
    "agent_debates_final_score_check": ("make_debate", {"final_score": 100.01}),
    "agent_debates_rounds_check": ("make_debate", {"rounds": 4}),
    "agent_debates_status_check": ("make_debate", {"status": "thinking"}),
    "agent_debate_messages_agent_check": ("make_debate_message", {"debate_id": "debate", "agent": "judge"}),
    "agent_debate_messages_round_check": ("make_debate_message", {"debate_id": "debate", "round": 4}),
    "agent_debate_messages_score_check": ("make_debate_message", {"debate_id": "debate", "score": -1}),
    "agent_escalations_kind_check": ("make_escalation", {"debate_id": "debate", "kind": "vibes"}),
    "agent_escalations_priority_check": ("make_escalation", {"debate_id": "debate", "priority": "urgent"}),
    "agent_escalations_resolution": ("make_escalation", {"debate_id": "debate", "status": "resolved"}),
    "agent_escalations_reviewer_score_check": ("make_escalation", {"debate_id": "debate", "reviewer_score": 101}),
    "agent_escalations_status_check": ("make_escalation", {"debate_id": "debate", "status": "closed"}),
    "batch_runs_job_check": ("make_batch_run", {"job": "weekly"}),
    "batch_runs_llm_cost_usd_check": ("make_batch_run", {"llm_cost_usd": -0.01}),
    "batch_runs_llm_tokens_check": ("make_batch_run", {"llm_tokens": -1}),
    "batch_runs_status_check": ("make_batch_run", {"status": "done"}),
    "batch_runs_phase_check": ("make_batch_run", {"phase": "sleep"}),
    "batch_runs_params_check": ("make_batch_run", {"params": Jsonb([1])}),
    "batch_items_phase_check": ("make_batch_item", {"fund_id": "fund", "phase": "rest", "lp_org_id": "lp"}),
    "batch_items_target": ("make_batch_item", {"fund_id": "fund", "lp_org_id": "lp"}),
    "batch_items_status_check": ("make_batch_item", {"fund_id": "fund", "status": "lost"}),
    "batch_items_attempts_check": ("make_batch_item", {"fund_id": "fund", "attempts": -1}),
    "batch_items_result_check": ("make_batch_item", {"fund_id": "fund", "result": Jsonb("x")}),
    "batch_items_claim": ("make_batch_item", {"fund_id": "fund", "status": "claimed"}),
    "entity_changes_entity_type_check": ("make_entity_change", {"entity_type": "person"}),
    "collaborative_signals_fund_strategy_check": ("make_collaborative_signal", {"fund_strategy": "venture/late"}),
    "collaborative_signals_contributors_check": ("make_collaborative_signal", {"contributors": 4}),
    "collaborative_signals_response_rate_check": ("make_collaborative_signal", {"response_rate": 1.5}),
    "collaborative_signals_counts": ("make_collaborative_signal", {"responses": 13}),
    "metric_counters_minute_check": ("make_metric_counter", {"minute": "2026-11-27 10:15:30+00"}),
    "metric_counters_name_check": ("make_metric_counter", {"name": "Match Cache!"}),
    "metric_counters_value_check": ("make_metric_counter", {"value": -1}),
    "request_metrics_minute_check": ("make_request_metric", {"minute": "2026-11-27 10:15:01+00"}),
    "request_metrics_route_check": ("make_request_metric", {"route": ""}),
    "request_metrics_errors": ("make_request_metric", {"errors": 5}),
    "request_metrics_latency_ms_total_check": ("make_request_metric", {"latency_ms_total": -1}),
    "request_metrics_buckets_check": ("make_request_metric", {"buckets": [1, 2]}),
    "retrain_reports_decision_check": ("make_retrain_report", {"decision": "maybe"}),
    "retrain_reports_organisations_check": ("make_retrain_report", {"organisations": -1}),
    "retrain_reports_metrics_check": ("make_retrain_report", {"metrics": Jsonb([])}),
    "retrain_reports_positives": ("make_retrain_report", {"positives": 81}),
    "llm_calls_cost_usd_check": ("make_llm_call", {"cost_usd": -1}),
    "llm_calls_input_tokens_check": ("make_llm_call", {"input_tokens": -1}),
    "llm_calls_latency_ms_check": ("make_llm_call", {"latency_ms": -1}),
    "llm_calls_output_tokens_check": ("make_llm_call", {"output_tokens": -1}),
    "llm_calls_status_check": ("make_llm_call", {"status": "maybe"}),
    "alerts_severity_check": ("make_alert", {"severity": "info"}),
    "alerts_incident_format": ("make_alert", {"incident": "Not An Incident"}),
    "invitations_access_role_check": ("make_invitation", {"org_id": "org", "access_role": "owner"}),
    "invitations_email_check": ("make_invitation", {"org_id": "org", "email": "nobody"}),
    "sign_in_guards_failures_check": ("make_sign_in_guard", {"failures": -1}),
    "session_revocations_reason_check": ("make_session_revocation", {"user_id": "person", "reason": "bored"}),
    "outbox_kind_check": ("make_outbox_message", {"kind": "newsletter"}),
    "outbox_to_email_check": ("make_outbox_message", {"to_email": "not an email"}),
    "lp_flags_reason_check": ("make_lp_flag", {"lp_org_id": "lp", "reason": "  "}),
    "lp_imports_filename_check": ("make_lp_import", {"filename": ""}),
    "lp_imports_file_sha256_check": ("make_lp_import", {"file_sha256": "abc"}),
    "lp_imports_encoding_check": ("make_lp_import", {"encoding": "utf-16"}),
    "lp_imports_delimiter_check": ("make_lp_import", {"delimiter": "|"}),
    "lp_imports_row_count_check": ("make_lp_import", {"row_count": 10001}),
    "lp_imports_mapping_check": ("make_lp_import", {"mapping": Jsonb([])}),
    "lp_imports_status_check": ("make_lp_import", {"status": "paused"}),
    "lp_imports_processed_check": ("make_lp_import", {"processed": -1}),
    "lp_imports_inserted_check": ("make_lp_import", {"inserted": -1}),
    "lp_imports_updated_check": ("make_lp_import", {"updated": -1}),
    "lp_imports_skipped_check": ("make_lp_import", {"skipped": -1}),
    "lp_imports_failed_check": ("make_lp_import", {"failed": -1}),
    "lp_imports_report_check": ("make_lp_import", {"report": Jsonb({})}),
}
# fmt: on

# The score is computed by a trigger; the CHECK is the backstop if the trigger is ever off.
SETUP = {
    "lp_profiles_data_quality_score_check": "alter table lp_profiles disable trigger lp_profiles_quality"
}


@pytest.fixture(scope="module")
def conn(migrated_db: EmbeddedDatabase) -> Iterator[psycopg.Connection]:
    with psycopg.connect(migrated_db.admin_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def ids(conn: psycopg.Connection) -> dict[str, Any]:
    org = f.make_org(conn)
    fund = f.make_fund(conn, org_id=org)
    lp = f.make_lp(conn)
    match = f.make_match(conn, fund_id=fund, lp_org_id=lp)
    return {
        "org": org,
        "fund": fund,
        "lp": lp,
        "match": match,
        "pitch": f.make_pitch(conn, match_id=match),
        "debate": f.make_debate(conn, fund_id=fund, lp_org_id=lp),
        "person": f.make_person(conn),
    }


def resolve(
    conn: psycopg.Connection, ids: dict[str, Any], factory: str, kwargs: dict[str, Any]
) -> dict[str, Any]:
    """Replace world names by ids; give the pair tables a fresh (fund, LP) each time."""
    if factory in {
        "make_match",
        "make_status",
        "make_outcome",
        "make_debate",
        "make_pipeline_event",
    }:
        kwargs = {"fund_id": "fund", "lp_org_id": "new_lp", **kwargs}
    named = {"new_gp": lambda: f.make_org(conn), "new_lp": lambda: f.make_lp(conn)}
    return {
        key: named[value]()
        if isinstance(value, str) and value in named
        else ids.get(value, value)
        if isinstance(value, str)
        else value
        for key, value in kwargs.items()
    }


@pytest.mark.parametrize("constraint", sorted(CASES))
def test_check_constraint_rejects_bad_value(conn, ids, constraint):
    factory, kwargs = CASES[constraint]
    with conn.transaction(force_rollback=True), pytest.raises(errors.CheckViolation) as excinfo:
        if constraint in SETUP:
            conn.execute(SETUP[constraint])
        getattr(f, factory)(conn, **resolve(conn, ids, factory, kwargs))
    assert excinfo.value.diag.constraint_name == constraint


def test_every_check_constraint_has_a_case(conn):
    names = {
        row[0]
        for row in conn.execute(
            "select conname from pg_constraint where contype = 'c' "
            "and connamespace = 'public'::regnamespace"
        )
    }
    assert names == set(CASES)


REFERENCES = {
    "org_id",
    "fund_id",
    "lp_org_id",
    "match_id",
    "pitch_id",
    "debate_id",
    "person_id",
    "entity_id",
    "user_id",
}


def test_the_factories_defaults_pass_every_constraint(conn, ids):
    for factory, kwargs in dict(CASES.values()).items():
        references = {k: v for k, v in kwargs.items() if k in REFERENCES}
        with conn.transaction(force_rollback=True):
            getattr(f, factory)(conn, **resolve(conn, ids, factory, references))
