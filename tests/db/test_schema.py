"""The data model's walls: RLS everywhere, the app role owns nothing, constraints hold."""

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from psycopg import errors

from src.db.embedded import APP_ROLE, EmbeddedDatabase
from tests import factories as f


def admin(db: EmbeddedDatabase) -> psycopg.Connection:
    return psycopg.connect(db.admin_url, autocommit=True)


@contextmanager
def acting_as(db: EmbeddedDatabase, user_id: uuid.UUID | None) -> Iterator[psycopg.Connection]:
    """A transaction on the app's login role, as `authenticated` with claims (or as `anon`)."""
    with psycopg.connect(db.app_url) as conn:
        role = "authenticated" if user_id else "anon"
        claims = {"sub": str(user_id), "role": role} if user_id else {"role": "anon"}
        conn.execute(
            "select set_config('role', %(role)s, true), set_config('request.jwt.claims', %(c)s, true)",
            {"role": role, "c": json.dumps(claims)},
        )
        yield conn
        conn.rollback()


@pytest.fixture(scope="module")
def world(migrated_db: EmbeddedDatabase) -> dict[str, uuid.UUID]:
    """Two GP orgs with an admin, member and viewer each, one LP, one platform admin."""
    ids: dict[str, uuid.UUID] = {}
    with admin(migrated_db) as conn:
        for org in ("gp_a", "gp_b"):
            ids[org] = f.make_org(conn, name=org)
            ids[f"{org}_fund"] = f.make_fund(
                conn, org_id=ids[org], name=f"{org} Fund I", strategy="venture/early"
            )
            for role in ("admin", "member", "viewer"):
                ids[f"{org}_{role}"] = f.make_user(conn, org_id=ids[org], access_role=role)
        ids["lp"] = f.make_lp(conn, org={"name": "Nordic Pension"})
        ids["platform_admin"] = f.make_user(conn, is_super_admin=True)
    return ids


def test_every_table_has_rls_and_a_policy(migrated_db: EmbeddedDatabase):
    with admin(migrated_db) as conn:
        rows = conn.execute(
            """
            select c.relname, c.relrowsecurity,
                   (select count(*) from pg_policy p where p.polrelid = c.oid)
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'public' and c.relkind = 'r'
            """
        ).fetchall()
    assert len(rows) >= 20
    unprotected = [name for name, rls, policies in rows if not rls or policies == 0]
    assert unprotected == []


def test_app_role_owns_nothing_and_cannot_bypass_rls(migrated_db: EmbeddedDatabase):
    with admin(migrated_db) as conn:
        role = conn.execute(
            "select rolsuper, rolbypassrls, rolinherit from pg_roles where rolname = %s",
            (APP_ROLE,),
        ).fetchone()
        owned = conn.execute(
            "select count(*) from pg_class c join pg_roles r on r.oid = c.relowner where r.rolname = %s",
            (APP_ROLE,),
        ).fetchone()[0]
        grants = conn.execute(
            "select count(*) from information_schema.role_table_grants where grantee = %s",
            (APP_ROLE,),
        ).fetchone()[0]
    assert role == (False, False, False)
    assert owned == 0 and grants == 0


def test_app_role_without_a_role_switch_fails_closed(migrated_db: EmbeddedDatabase, world):
    with psycopg.connect(migrated_db.app_url) as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute("select * from funds")


def test_security_definer_functions_pin_an_empty_search_path(migrated_db: EmbeddedDatabase):
    with admin(migrated_db) as conn:
        rows = conn.execute(
            """
            select p.proname, p.proconfig from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = 'public' and p.prosecdef
            """
        ).fetchall()
    assert rows
    for name, config in rows:
        assert config and 'search_path=""' in config, name


def visible_funds(db: EmbeddedDatabase, user: uuid.UUID | None) -> set[uuid.UUID]:
    with acting_as(db, user) as conn:
        return {row[0] for row in conn.execute("select id from funds")}


def test_gp_members_see_only_their_own_funds(migrated_db: EmbeddedDatabase, world):
    assert visible_funds(migrated_db, world["gp_a_member"]) == {world["gp_a_fund"]}
    assert visible_funds(migrated_db, world["gp_a_viewer"]) == {world["gp_a_fund"]}
    assert visible_funds(migrated_db, world["gp_b_admin"]) == {world["gp_b_fund"]}
    assert visible_funds(migrated_db, world["platform_admin"]) >= {
        world["gp_a_fund"],
        world["gp_b_fund"],
    }


def test_anonymous_requests_are_refused_by_grant(migrated_db: EmbeddedDatabase, world):
    with acting_as(migrated_db, None) as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute("select id from funds")


def test_writes_into_another_org_are_refused(migrated_db: EmbeddedDatabase, world):
    with acting_as(migrated_db, world["gp_a_member"]) as conn:
        with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(
                "insert into funds (org_id, name, strategy) values (%s, 'Sneaky', 'secondaries')",
                (world["gp_b"],),
            )
    with acting_as(migrated_db, world["gp_a_member"]) as conn:
        updated = conn.execute(
            "update funds set name = 'Taken' where id = %s returning id", (world["gp_b_fund"],)
        ).fetchall()
        deleted = conn.execute(
            "delete from funds where id = %s returning id", (world["gp_b_fund"],)
        ).fetchall()
    assert updated == [] and deleted == []
    with admin(migrated_db) as conn:
        assert conn.execute(
            "select name from funds where id = %s", (world["gp_b_fund"],)
        ).fetchone() == ("gp_b Fund I",)


def test_viewers_read_but_cannot_write(migrated_db: EmbeddedDatabase, world):
    with acting_as(migrated_db, world["gp_a_viewer"]) as conn:
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(
                "insert into funds (org_id, name, strategy) values (%s, 'New', 'secondaries')",
                (world["gp_a"],),
            )
    with acting_as(migrated_db, world["gp_a_viewer"]) as conn:
        assert (
            conn.execute(
                "update funds set name = 'x' where id = %s returning id", (world["gp_a_fund"],)
            ).fetchall()
            == []
        )
    with acting_as(migrated_db, world["gp_a_member"]) as conn:
        assert conn.execute(
            "update funds set name = 'x' where id = %s returning id", (world["gp_a_fund"],)
        ).fetchall()


def test_lp_market_data_is_read_by_all_and_written_by_platform_admins(
    migrated_db: EmbeddedDatabase, world
):
    with acting_as(migrated_db, world["gp_b_viewer"]) as conn:
        assert conn.execute(
            "select count(*) from lp_profiles where org_id = %s", (world["lp"],)
        ).fetchone() == (1,)
        assert (
            conn.execute(
                "update lp_profiles set aum_musd = 1 where org_id = %s returning org_id",
                (world["lp"],),
            ).fetchall()
            == []
        )
    with acting_as(migrated_db, world["platform_admin"]) as conn:
        assert conn.execute(
            "update lp_profiles set aum_musd = 1 where org_id = %s returning org_id", (world["lp"],)
        ).fetchall()


def test_market_views_show_signed_in_users_the_market_rows_and_nothing_else(
    migrated_db: EmbeddedDatabase, world
):
    """The views that give search the planner's statistics widen no access: the same LP rows
    and mandate vectors the policies show every member, none of an org's fund vectors, and
    nothing at all to anonymous requests or through a write."""
    with admin(migrated_db) as conn:
        f.make_embedding(conn, entity_id=world["lp"], model="market-test")
        f.make_embedding(
            conn,
            entity_type="fund_thesis",
            entity_id=world["gp_a_fund"],
            org_id=world["gp_a"],
            model="market-test",
        )
    with acting_as(migrated_db, world["gp_b_viewer"]) as conn:
        table = conn.execute("select org_id from public.lp_profiles order by org_id").fetchall()
        view = conn.execute("select org_id from market.lp_profiles order by org_id").fetchall()
        assert view == table and (world["lp"],) in view
        assert conn.execute(
            "select org_id from market.lp_mandate_vectors where model = 'market-test'"
        ).fetchall() == [(world["lp"],)]
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("update market.lp_profiles set aum_musd = 1")
    with acting_as(migrated_db, None) as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute("select count(*) from market.lp_profiles")


def test_other_orgs_and_their_people_are_invisible(migrated_db: EmbeddedDatabase, world):
    with acting_as(migrated_db, world["gp_a_member"]) as conn:
        orgs = {row[0] for row in conn.execute("select id from organizations")}
        people = conn.execute(
            "select count(*) from people p join employment e on e.person_id = p.id "
            "where e.org_id = %s",
            (world["gp_b"],),
        ).fetchone()[0]
    assert world["gp_b"] not in orgs and world["gp_a"] in orgs and world["lp"] in orgs
    assert people == 0


def quality(conn: psycopg.Connection, lp: uuid.UUID) -> float:
    return float(
        conn.execute(
            "select data_quality_score from lp_profiles where org_id = %s", (lp,)
        ).fetchone()[0]
    )


def test_data_quality_score_follows_completeness_and_verification(migrated_db: EmbeddedDatabase):
    with admin(migrated_db) as conn:
        lp = conn.execute(
            "insert into organizations (name, is_lp) values ('Sparse LP', true) returning id"
        ).fetchone()[0]
        try:
            conn.execute(
                "insert into lp_profiles (org_id, lp_type) values (%s, 'foundation')", (lp,)
            )
            assert quality(conn, lp) == 0.0

            conn.execute(
                "update lp_profiles set mandate_text = %s, strategies = '{venture/early}', geographies = '{europe}', "
                "sectors = '{healthcare}', aum_musd = 900, check_size_min_musd = 5, check_size_max_musd = 25, "
                "fund_size_min_musd = 100, fund_size_max_musd = 800 where org_id = %s",
                ("Backs first-time European healthcare venture managers with 5-25m tickets.", lp),
            )
            assert quality(conn, lp) == 0.56  # 7 of 10 fields

            conn.execute(
                "update organizations set website = 'https://sparse.example.org' where id = %s",
                (lp,),
            )
            conn.execute(
                "insert into investments (lp_org_id, fund_name) values (%s, 'Alpha Bio II')", (lp,)
            )
            person = conn.execute(
                "insert into people (full_name) values ('Ana CIO') returning id"
            ).fetchone()[0]
            conn.execute(
                "insert into employment (person_id, org_id, title) values (%s, %s, 'CIO')",
                (person, lp),
            )
            assert quality(conn, lp) == 0.8  # complete, never verified

            conn.execute("update lp_profiles set last_verified_at = now() where org_id = %s", (lp,))
            assert quality(conn, lp) == 1.0
            conn.execute(
                "update lp_profiles set last_verified_at = now() - interval '365 days' where org_id = %s",
                (lp,),
            )
            assert quality(conn, lp) == 0.9
        finally:
            conn.execute("delete from people where full_name = 'Ana CIO'")
            conn.execute("delete from organizations where id = %s", (lp,))


def test_an_organisation_keeps_its_last_admin(migrated_db: EmbeddedDatabase):
    with admin(migrated_db) as conn:
        org = f.make_org(conn)
        first = f.make_person(conn, org_id=org, access_role="admin")
        second = f.make_person(conn, org_id=org, access_role="admin")
        conn.execute("update employment set access_role = 'member' where person_id = %s", (first,))
        for statement in (
            "update employment set access_role = 'viewer' where person_id = %(p)s",
            "update employment set is_current = false where person_id = %(p)s",
            "delete from employment where person_id = %(p)s",
            "delete from people where id = %(p)s",
        ):
            with pytest.raises(errors.CheckViolation) as excinfo:
                conn.execute(statement, {"p": second})
            assert excinfo.value.diag.constraint_name == "employment_last_admin"
        conn.execute("delete from organizations where id = %s", (org,))  # the org itself may go
        assert conn.execute(
            "select count(*) from employment where org_id = %s", (org,)
        ).fetchone() == (0,)


def test_org_admins_manage_their_own_team_and_invitations_only(
    migrated_db: EmbeddedDatabase, world
):
    with admin(migrated_db) as conn:
        newcomer = f.make_person(conn)
    with acting_as(migrated_db, world["gp_a_admin"]) as conn:
        conn.execute(
            "insert into employment (person_id, org_id, access_role) values (%s, %s, 'member')",
            (newcomer, world["gp_a"]),
        )
        conn.execute(
            "insert into invitations (org_id, email, access_role, token_hash) "
            "values (%s, 'new@example.org', 'viewer', 'h-own')",
            (world["gp_a"],),
        )
        assert conn.execute(
            "update organizations set website = 'https://a.example.org' where id = %s returning id",
            (world["gp_a"],),
        ).fetchall()
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(
                "insert into invitations (org_id, email, access_role, token_hash) "
                "values (%s, 'x@example.org', 'admin', 'h-other')",
                (world["gp_b"],),
            )
    with acting_as(migrated_db, world["gp_a_member"]) as conn:
        assert conn.execute("select count(*) from invitations").fetchone() == (0,)
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(
                "insert into employment (person_id, org_id, access_role) values (%s, %s, 'admin')",
                (newcomer, world["gp_a"]),
            )


def test_a_person_cannot_make_themselves_platform_admin(migrated_db: EmbeddedDatabase, world):
    with acting_as(migrated_db, world["gp_a_member"]) as conn:
        assert conn.execute(
            "update people set full_name = 'New Name' where auth_user_id = %s returning id",
            (world["gp_a_member"],),
        ).fetchall()
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(
                "update people set is_super_admin = true where auth_user_id = %s",
                (world["gp_a_member"],),
            )


def test_every_foreign_key_has_an_index(migrated_db: EmbeddedDatabase):
    with admin(migrated_db) as conn:
        unindexed = conn.execute(
            """
            select c.conrelid::regclass::text || '.' || a.attname
            from pg_constraint c
            join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
            where c.contype = 'f' and c.connamespace = 'public'::regnamespace
              and not exists (select 1 from pg_index i
                              where i.indrelid = c.conrelid and i.indkey[0] = c.conkey[1])
            """
        ).fetchall()
    assert unindexed == []


def test_searchable_columns_have_their_indexes(migrated_db: EmbeddedDatabase):
    with admin(migrated_db) as conn:
        methods = dict(
            conn.execute(
                "select indexname, am.amname from pg_indexes x "
                "join pg_class c on c.relname = x.indexname join pg_am am on am.oid = c.relam "
                "where x.schemaname = 'public'"
            ).fetchall()
        )
    for index in ("lp_profiles_strategies", "lp_profiles_geographies", "lp_profiles_sectors",
                  "lp_profiles_search", "lp_profiles_name_trgm", "lp_profiles_mandate_trgm", "organizations_name_trgm",
                  "organizations_name_fts"):  # fmt: skip
        assert methods[index] == "gin", index
    assert methods["embeddings_minilm_hnsw"] == "hnsw"


def test_two_admins_demoting_each_other_at_once_leave_one_admin(migrated_db: EmbeddedDatabase):
    with admin(migrated_db) as conn:
        org = f.make_org(conn)
        first = f.make_person(conn, org_id=org, access_role="admin")
        second = f.make_person(conn, org_id=org, access_role="admin")
    demote = "update employment set access_role = 'member' where person_id = %s"
    outcome: dict[str, object] = {}
    with (
        psycopg.connect(migrated_db.admin_url) as one,
        psycopg.connect(migrated_db.admin_url) as two,
    ):
        one.execute(demote, (first,))  # holds the organisation's lock until it commits

        def other() -> None:
            try:
                two.execute(demote, (second,))
                two.commit()
                outcome["two"] = "committed"
            except errors.CheckViolation as exc:
                two.rollback()
                outcome["two"] = exc.diag.constraint_name

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=0.5)
        assert thread.is_alive()  # waiting for the first change to finish
        one.commit()
        thread.join(timeout=5)
    assert outcome["two"] == "employment_last_admin"
    with admin(migrated_db) as conn:
        admins = conn.execute(
            "select count(*) from employment where org_id = %s and access_role = 'admin'", (org,)
        ).fetchone()
    assert admins == (1,)
