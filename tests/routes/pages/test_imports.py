"""LP import through the real HTTP path: upload, preview, confirm, report, re-import."""

from __future__ import annotations

import csv
import io

import pytest
from bs4 import BeautifulSoup

from tests import factories as f
from tests.helpers import PASSWORD, csrf_token, sign_in

HEADER = (
    "LP Name,Investor Type,Country,AUM,Strategies,Regions,Min Check,Max Check,Website,Mandate\n"
)


def csv_file(rows: list[str], header: str = HEADER) -> bytes:
    return (header + "\n".join(rows) + "\n").encode()


@pytest.fixture
async def admin(client, service):
    email = f"{f.unique('importer')}@example.org"
    f.make_user(service, email=email, password=PASSWORD, is_super_admin=True)
    await sign_in(client, email)
    return client


async def upload(client, data: bytes, filename: str = "lps.csv"):
    # Multipart bodies carry the token in the header (htmx sends it from <body hx-headers>).
    headers = {"X-CSRF-Token": await csrf_token(client)}
    return await client.post(
        "/admin/imports", headers=headers, files={"file": (filename, data, "text/csv")}
    )


def import_id(response) -> str:
    return response.headers["hx-push-url"].rsplit("/", 1)[1]


async def confirm(client, response):
    page = BeautifulSoup(response.text, "html.parser")
    form = page.find("form", action=lambda a: a and a.endswith("/confirm"))
    data = {i["name"]: i["value"] for i in form.find_all("input")}
    return await client.post(form["action"], data=data)


def totals(html: str) -> str:
    return " ".join(
        BeautifulSoup(html, "html.parser").find("h2", string="Preview").find_next("p").text.split()
    )


async def test_a_clean_file_previews_then_imports(admin, service):
    tag = f.unique("Clean")
    rows = [f"{tag} Pension {i},public pension,Sweden,$12bn,LBO; infra,Nordics,25,100,{tag.lower()}{i}.example.org,"
            f"Backs Nordic buyout and infrastructure managers." for i in range(3)]  # fmt: skip
    preview = await upload(admin, csv_file(rows))
    assert preview.status_code == 200
    assert totals(preview.text).startswith("3 new · 0 updated · 0 unchanged · 0 duplicates")
    assert service.execute(
        "select count(*) from organizations where name like %s", (f"{tag}%",)
    ).fetchone() == (0,)
    done = await confirm(admin, preview)
    assert done.status_code == 200
    status = await admin.get(f"/admin/imports/{import_id(preview)}")
    text = " ".join(BeautifulSoup(status.text, "html.parser").get_text(" ").split())
    assert "Imported" in text and "3 of 3 rows: 3 new, 0 updated, 0 skipped, 0 failed" in text
    lp = service.execute(
        "select p.lp_type, p.aum_musd, p.strategies, p.geographies, p.region, o.hq_country, o.website "
        "from organizations o join lp_profiles p on p.org_id = o.id where o.name = %s", (f"{tag} Pension 0",)
    ).fetchone()  # fmt: skip
    assert lp == ("public_pension", 12000, ["private_equity/buyout", "real_assets/infrastructure"], ["nordics"],
                  "nordics", "SE", f"https://{tag.lower()}0.example.org")  # fmt: skip


async def test_bad_rows_are_reported_and_never_stop_the_good_ones(admin, service):
    tag = f.unique("Mixed")
    rows = [
        f"{tag} Good One,endowment,United States,2bn,venture,North America,5,20,,",
        ",foundation,France,1bn,buyout,Europe,1,2,,",
        f"{tag} Bad Type,hedge fund,France,1bn,buyout,Europe,1,2,,",
        f"{tag} Bad Range,bank,Germany,50bn,credit,Europe,90,10,,",
        f"{tag} Good Two,family office,Italy,300m,real estate,Europe,2,5,,",
    ]  # fmt: skip
    preview = await upload(admin, csv_file(rows))
    assert totals(preview.text).startswith(
        "2 new · 0 updated · 0 unchanged · 0 duplicates in the file · 3 with errors"
    )
    await confirm(admin, preview)
    report = await admin.get(f"/admin/imports/{import_id(preview)}/report.csv")
    outcomes = {
        r["row"]: (r["outcome"], r["reasons"]) for r in csv.DictReader(io.StringIO(report.text))
    }
    assert outcomes["2"][0] == "insert" and outcomes["6"][0] == "insert"
    assert outcomes["3"] == ("error", "Name: missing")
    assert "'hedge fund' is not an LP type" in outcomes["4"][1]
    assert "minimum is above the maximum" in outcomes["5"][1]
    names = {
        r[0]
        for r in service.execute("select name from organizations where name like %s", (f"{tag}%",))
    }
    assert names == {f"{tag} Good One", f"{tag} Good Two"}


async def test_duplicates_in_the_file_and_in_the_database(admin, service):
    tag = f.unique("Dup")
    existing = f.make_lp(
        service,
        org={"name": f"{tag} Existing Foundation", "hq_country": "DE"},
        lp_type="foundation",
    )
    rows = [
        f"{tag} Alpha Endowment,endowment,Canada,1bn,venture,North America,1,5,alpha-{tag}.example.org,",
        f"{tag.upper()}  ALPHA ENDOWMENT,endowment,Canada,1bn,venture,North America,1,5,,",  # same name, case
        f"{tag} Alpha Renamed,endowment,Canada,1bn,venture,North America,1,5,www.alpha-{tag}.example.org,",  # domain
        f"{tag} Existing Foundation,foundation,Germany,800m,buyout,Europe,1,5,,",  # matches the database
    ]  # fmt: skip
    preview = await upload(admin, csv_file(rows))
    assert totals(preview.text).startswith("1 new · 1 updated · 0 unchanged · 2 duplicates")
    assert (
        "Same LP as row 2" in preview.text and f"Matches {tag} Existing Foundation" in preview.text
    )
    await confirm(admin, preview)
    profile = service.execute(
        "select aum_musd, strategies from lp_profiles where org_id = %s", (existing,)
    ).fetchone()
    assert profile == (800, ["private_equity/buyout"])


async def test_importing_the_same_file_again_changes_nothing(admin, service):
    tag = f.unique("Again")
    data = csv_file([f"{tag} Insurer,insurer,Japan,40bn,direct lending,APAC,50,200,,Senior loans."])
    first = await upload(admin, data)
    await confirm(admin, first)
    before = service.execute(
        "select o.id, p.updated_at from organizations o join lp_profiles p on p.org_id = o.id where o.name like %s",
        (f"{tag}%",),
    ).fetchall()  # fmt: skip
    second = await upload(admin, data)
    assert totals(second.text).startswith("0 new · 0 updated · 1 unchanged")
    assert "disabled" in str(
        BeautifulSoup(second.text, "html.parser").find(
            "button", string=lambda s: s and "Import" in s
        )
    )
    after = service.execute(
        "select o.id, p.updated_at from organizations o join lp_profiles p on p.org_id = o.id where o.name like %s",
        (f"{tag}%",),
    ).fetchall()  # fmt: skip
    assert before == after


async def test_a_confirmed_import_cannot_run_twice(admin):
    preview = await upload(
        admin, csv_file([f"{f.unique('Once')} Bank,bank,Spain,5bn,buyout,Europe,1,2,,"])
    )
    await confirm(admin, preview)
    token = await csrf_token(admin)
    response = await admin.post(
        f"/admin/imports/{import_id(preview)}/confirm", data={"csrf_token": token}
    )
    assert response.status_code == 409 and "already been imported" in response.text


async def test_the_mapping_can_be_changed_and_must_name_the_required_fields(admin):
    data = csv_file(
        [f"{f.unique('Map')} Fund,bank,Spain,5bn,buyout,Europe,1,2,,"],
        header="Who,What,Where,A,B,C,D,E,F,G\n",
    )
    preview = await upload(admin, data)
    assert (
        "Map a column" not in preview.text and "Import 0 rows" in preview.text
    )  # nothing recognised yet
    token = await csrf_token(admin)
    bad = await admin.post(
        f"/admin/imports/{import_id(preview)}/mapping",
        data={"csrf_token": token, "map:Who": "name"},
    )
    assert bad.status_code == 422 and "Map a column to LP type" in bad.text
    good = await admin.post(f"/admin/imports/{import_id(preview)}/mapping",
                            data={"csrf_token": token, "map:Who": "name", "map:What": "lp_type", "map:Where": "hq_country"})  # fmt: skip
    assert good.status_code == 200 and totals(good.text).startswith("1 new")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.4 not a csv", "not a CSV"),
        ("LP Name,Investor Type\nA,bank\n".encode("utf-16"), "not a CSV"),
        (b"", "empty"),
    ],
)
async def test_files_we_cannot_read_are_refused_on_the_page(admin, data, message):
    response = await upload(admin, data, "deck.pdf")
    assert response.status_code == 422 and message in response.text


async def test_latin_1_files_keep_their_accents(admin, service):
    name = f"{f.unique('Fondation')} Générale"
    preview = await upload(admin, csv_file([f"{name};foundation;France;900m;buyout;Europe;1;5;;"],
                                           header=HEADER.replace(",", ";")).decode().encode("latin-1"))  # fmt: skip
    assert "latin-1" in preview.text and name in preview.text
    await confirm(admin, preview)
    assert service.execute(
        "select count(*) from organizations where name = %s", (name,)
    ).fetchone() == (1,)


async def test_a_file_over_50_mb_is_refused(admin):
    big = HEADER.encode() + b"x" * (50 * 1024 * 1024 + 10)
    response = await upload(admin, big)
    assert response.status_code == 422 and "larger than 50 MB" in response.text


async def test_imports_are_for_platform_admins_only(client, service):
    email = f"{f.unique('gp')}@example.org"
    f.make_user(
        service, org_id=f.make_org(service), access_role="admin", email=email, password=PASSWORD
    )
    await sign_in(client, email)
    assert (await client.get("/admin/imports")).status_code == 403
    assert (
        await upload(client, csv_file(["A,bank,Spain,1,buyout,Europe,1,2,,"]))
    ).status_code == 403


def test_the_command_line_import(empty_db, monkeypatch, tmp_path, capsys):
    from src.config import get_settings
    from src.ops.import_lps import main

    path = tmp_path / "lps.csv"
    path.write_bytes(
        csv_file(
            [
                "Cli Pension,pension,Norway,80bn,buyout,Nordics,50,250,,",
                ",bank,Spain,1bn,buyout,Europe,1,2,,",
            ]
        )
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", empty_db.app_url)
    get_settings.cache_clear()
    try:
        assert main([str(path), "--dry-run"]) == 0
        assert "1 insert" in capsys.readouterr().out
        assert main([str(path)]) == 1  # one row failed
        assert "1 inserted, 0 updated, 0 skipped, 1 failed" in capsys.readouterr().out
        assert main([str(tmp_path / "missing.csv")]) == 1
    finally:
        get_settings.cache_clear()
