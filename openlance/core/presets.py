"""The two policy presets of SPEC §16, as plain parameters (installed by a data migration
and by `policy_install_presets`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

SLIDING_20_10_5 = {
    "type": "sliding",
    "tiers": [
        {"up_to_cents": 50_000, "rate_bp": 2_000},
        {"up_to_cents": 1_000_000, "rate_bp": 1_000},
        {"up_to_cents": None, "rate_bp": 500},
    ],
}

JSS_DEFAULTS: dict[str, Any] = {
    "weight_min_cents": 5_000,
    "weight_max_cents": 500_000,
    "negative_penalty": "0",
    "windows_months": [6, 12, 24],
    "minimum_contracts": 2,
    "minimum_clients": 2,
    "long_running_days": 90,
    "negative_recommend_at_most": 5,
    "negative_public_below": "3.0",
    "positive_recommend_at_least": 9,
    "positive_public_at_least": "4.5",
}

RANKING_DEFAULTS: dict[str, Any] = {
    "title_weight": "3",
    "skills_weight": "2",
    "overview_weight": "1",
    "quality_base": "0.6",
    "quality_jss_share": "0.4",
    "quality_without_score": "0.8",
}

PRESETS: list[dict[str, Any]] = [
    {
        "label": "classic",
        "effective_from": datetime(2016, 6, 7, tzinfo=UTC),
        "params": {
            "fees": {
                "freelancer_fee": SLIDING_20_10_5,
                "client_marketplace_fee_bp": 275,
                "contract_initiation_fee_cents": 0,
            },
            "connects": {
                "basic_plan": {
                    "price_cents": 0,
                    "monthly_grant": 60,
                    "rollover": False,
                    "rollover_cap": None,
                },
                "plus_plan": {
                    "price_cents": 1_000,
                    "monthly_grant": 70,
                    "rollover": True,
                    "rollover_cap": 140,
                },
                "connect_price_cents": 100,
                "welcome_grant": 0,
                "proposal_cost": {"type": "flat", "connects": 2},
                "refund_on_expiry_without_hire": True,
            },
            "jss": JSS_DEFAULTS,
            "ranking": RANKING_DEFAULTS,
        },
    },
    {
        "label": "2019",
        "effective_from": datetime(2019, 5, 1, tzinfo=UTC),
        "params": {
            "fees": {
                "freelancer_fee": SLIDING_20_10_5,
                "client_marketplace_fee_bp": 300,
                "contract_initiation_fee_cents": 295,
            },
            "connects": {
                "basic_plan": {
                    "price_cents": 0,
                    "monthly_grant": 0,
                    "rollover": False,
                    "rollover_cap": None,
                },
                "plus_plan": {
                    "price_cents": 1_499,
                    "monthly_grant": 70,
                    "rollover": True,
                    "rollover_cap": 140,
                },
                "connect_price_cents": 15,
                "welcome_grant": 20,
                "proposal_cost": {
                    "type": "by_job_value",
                    "tiers": [
                        {"below_cents": 5_000, "connects": 2},
                        {"below_cents": 60_000, "connects": 4},
                    ],
                    "otherwise": 6,
                },
                "refund_on_expiry_without_hire": True,
            },
            "jss": JSS_DEFAULTS,
            "ranking": RANKING_DEFAULTS,
        },
    },
]
