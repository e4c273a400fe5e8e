"""The domain taxonomy puts each fine domain (a service, an API, an MCP server) under a top-level area."""

from inftool_hf.sources.specs import ToolSpec, load_specs, spec_pack_dir
from inftool_hf.sources.taxonomy import classify_domains, taxonomy_report


def test_pack_domains_fall_under_the_areas_a_reader_expects():
    placed = classify_domains(load_specs([spec_pack_dir()]).tools)
    assert placed["flights"] == placed["hotels"] == "travel"
    assert placed["banking"] == placed["investing"] == "finance"
    assert placed["ecommerce"] == placed["bookstore"] == "commerce"
    assert (placed["healthcare"], placed["music"], placed["messaging"]) == ("health", "media", "communication")
    assert placed["calendar"] == placed["project_management"] == "productivity"


def test_real_sources_and_unknown_domains():
    def tools(domain, *names):
        return [ToolSpec(name=n, description=n.replace("_", " "), parameters={"type": "object"}, domain=domain,
                         source="t") for n in names]

    pool = [*tools("aws_s3", "s3_put_object", "s3_create_bucket", "s3_list_objects"),
            *tools("git", "git_commit", "git_log", "git_create_branch"),
            *tools("aws_iam", "iam_create_role", "iam_attach_role_policy"),
            *tools("zz_misc", "frobnicate_widget")]
    placed = classify_domains(pool)
    assert placed == {"aws_s3": "storage", "git": "developer", "aws_iam": "security", "zz_misc": "other"}
    report = taxonomy_report(pool)
    assert report["storage"] == {"domains": ["aws_s3"], "tools": 3} and report["other"]["tools"] == 1
