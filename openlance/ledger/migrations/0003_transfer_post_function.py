"""`ledger_transfer_post`: the lock-check-insert-update of `ledger.services.transfer_post`
as one PostgreSQL function, so a transfer costs one round trip to the database. It keeps
every guarantee of the Python path: accounts locked in id order, balances re-read under the
lock, nothing written when an account that may not go negative would, at most one transfer
per key. Other databases run the same steps from Python; this migration does nothing there.

Returns one row: (transfer_id, short_account_id, short_balance, balances)
- a new transfer: its id, NULL, NULL, the new balances in the order of p_accounts;
- the key was used before: that transfer's id, NULL, NULL, NULL (the caller compares legs);
- an overdraft: NULL, the account that would go below zero, its balance, NULL.
The caller passes p_accounts sorted by id, each once, with p_amounts in the same order.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION ledger_transfer_post(
    p_key text, p_kind text, p_description text, p_currency text, p_reverses bigint,
    p_metadata jsonb, p_created_at timestamptz, p_client bigint, p_freelancer bigint,
    p_accounts bigint[], p_amounts bigint[]
) RETURNS TABLE (
    transfer_id bigint, short_account_id bigint, short_balance bigint, balances bigint[]
) LANGUAGE plpgsql AS $$
DECLARE
    v_transfer bigint;
BEGIN
    PERFORM 1 FROM ledger_ledgeraccount
        WHERE id = ANY(p_accounts) ORDER BY id FOR UPDATE;

    SELECT t.id INTO v_transfer FROM ledger_transfer t WHERE t.idempotency_key = p_key;
    IF FOUND THEN
        RETURN QUERY SELECT v_transfer, NULL::bigint, NULL::bigint, NULL::bigint[];
        RETURN;
    END IF;

    RETURN QUERY
        SELECT NULL::bigint, a.id, a.balance_cents, NULL::bigint[]
        FROM ledger_ledgeraccount a
        JOIN unnest(p_accounts, p_amounts) AS leg(account_id, amount) ON a.id = leg.account_id
        WHERE NOT a.may_go_negative AND a.balance_cents + leg.amount < 0
        ORDER BY a.id
        LIMIT 1;
    IF FOUND THEN
        RETURN;
    END IF;

    INSERT INTO ledger_transfer (
        idempotency_key, kind, description, currency, reverses_id, metadata, created_at,
        client_id, freelancer_id
    ) VALUES (
        p_key, p_kind, p_description, p_currency, p_reverses, p_metadata, p_created_at,
        p_client, p_freelancer
    ) RETURNING id INTO v_transfer;

    RETURN QUERY
    WITH moved AS (
        UPDATE ledger_ledgeraccount a
        SET balance_cents = a.balance_cents + leg.amount
        FROM unnest(p_accounts, p_amounts) AS leg(account_id, amount)
        WHERE a.id = leg.account_id
        RETURNING a.id, leg.amount, a.balance_cents
    ), written AS (
        INSERT INTO ledger_entry (transfer_id, account_id, amount_cents, currency,
                                  balance_after_cents)
        SELECT v_transfer, moved.id, moved.amount, p_currency, moved.balance_cents
        FROM moved ORDER BY moved.id
        RETURNING account_id, balance_after_cents
    )
    SELECT v_transfer, NULL::bigint, NULL::bigint,
           array_agg(written.balance_after_cents ORDER BY written.account_id)
    FROM written;
END;
$$;
"""

DROP = "DROP FUNCTION IF EXISTS ledger_transfer_post(text, text, text, text, bigint, jsonb, timestamptz, bigint, bigint, bigint[], bigint[]);"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_transfer_parties")]

    operations = [migrations.RunPython(create, drop)]
