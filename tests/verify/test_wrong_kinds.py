"""The audit sees a value of the wrong kind for its field, from what the field's description or name says it holds,
and the value factory writes the kind those descriptions ask for."""

import json
import re

from inftool_hf.synth.values import ValueFactory, described_values
from inftool_hf.verify.audit import audit_dataset, audit_markdown, wrong_kind_values

PARAMETERS = {"type": "object", "properties": {
    "query": {"type": "string", "description": "sparql query"},
    "ein": {"type": "string", "description": "ein (Employer Identification Number)"},
    "index": {"type": "string", "description": "search index name\nPossible values:\n* `collectionsonline`\n"
                                               "* `cenotaph`\n"},
    "$select": {"type": "string", "description": "Fields to return, separated by commas."},
    "$callback": {"type": "string", "description": "JavaScript callback to invoke."},
    "sign": {"type": "string", "description": "Signature required for signing create order request"},
}}


def _row(arguments: dict, result: dict) -> dict:
    tools = [{"type": "function", "function": {"name": "lookup", "description": "Search the coin exchange",
                                               "parameters": PARAMETERS}}]
    return {"id": "r1", "domain": "exchange", "category": "simple", "tools": json.dumps(tools), "episode": "{}",
            "blueprint": json.dumps({"calls": []}), "messages": [
        {"role": "user", "content": "please"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": json.dumps(arguments)}}]},
        {"role": "tool", "tool_call_id": "c1", "content": json.dumps(result)},
        {"role": "assistant", "content": "Here's what I found."}]}


def _spec_row(spec_file: str, tool_name: str, arguments: dict, result: dict | None = None, domain: str = "exchange"):
    """A row calling one tool of a held-out public spec (tests/data/public_specs), and that tool."""
    from pathlib import Path

    from inftool_hf.sources.specs import load_spec

    tool = next(t for t in load_spec(Path(__file__).parent.parent / "data" / "public_specs" / spec_file).tools
                if t.name == tool_name)
    row = _row({}, result or {})
    row.update(domain=domain, tools=json.dumps([tool.to_openai()]))
    row["messages"][1]["tool_calls"][0]["function"].update(name=tool_name, arguments=json.dumps(arguments))
    return tool, row


def test_values_of_the_wrong_kind_are_named_with_their_field_and_why():
    wrong = _row({"query": "agatha christie", "ein": "Hamilton, Steele and Smith", "index": "orders-2026",
                  "$select": "DY678", "$callback": "A quiet room, please.", "sign": "desc"},
                 {"depositAddress": "5198 Wesley Crossroad, Porto", "headline": {"main": "QZ810"},
                  "abstract": "Fix the broken link on the pricing page.", "message_id": "ME-61189"})
    found = wrong_kind_values(wrong)
    assert found == [
        "lookup: query 'agatha christie': a SPARQL query with no query syntax",
        "lookup: ein 'Hamilton, Steele and Smith': a tax number that is not a number",
        "lookup: index 'orders-2026': not one of the values its description lists (collectionsonline, cenotaph)",
        "lookup: $select 'DY678': a list of field names that names no field",
        "lookup: $callback 'A quiet room, please.': a callback that is no function name",
        "lookup: sign 'desc': a signature that is a word, not a digest",
        "lookup result: depositAddress '5198 Wesley Crossroad, Porto': a payment address that is a street address",
        "lookup result: abstract 'Fix the broken link on the pricing page.': a to-do sentence outside any task",
        "lookup result: main 'QZ810': a code where text belongs",
    ]  # an id (message_id) may be a code
    right = _row({"query": 'SELECT ?s WHERE { ?s ?p "dune" }', "ein": "12-3456789", "index": "cenotaph",
                  "$select": "name,date", "$callback": "handle_rows", "sign": "ab" * 32},
                 {"depositAddress": "bc1qan4jcuk8puaqpppfh6j57pkft2nxxen9eqgyjl", "headline": {"main": "Jazz at 80"}})
    assert wrong_kind_values(right) == []
    from datasets import Dataset

    report = audit_dataset(Dataset.from_list([wrong, right]), sample=0)
    assert report["wrong_kind_rate"] == 0.5 and report["plausible_value_rate"] == 0.5
    assert "| a value of the wrong kind for its field" in audit_markdown(report)


def test_the_value_factory_writes_the_kind_a_description_asks_for():
    factory = ValueFactory(seed=0)
    properties = PARAMETERS["properties"]
    assert described_values(properties["index"]) == ["collectionsonline", "cenotaph"]
    assert described_values({"type": "string", "description": "Use integer from mapping (256: '1A: Very Hot', "
                                                              "257: '1B: Very Hot - Dry')"}) == ["256", "257"]
    values = {name: factory.for_schema(schema, name) for name, schema in properties.items()}
    assert values["query"].startswith("SELECT ?item WHERE {")
    assert values["ein"][2] == "-" and values["ein"].replace("-", "").isdigit()
    assert values["index"] in ("collectionsonline", "cenotaph")
    assert all(part.isidentifier() for part in values["$select"].split(","))
    assert len(values["sign"]) == 64 and int(values["sign"], 16) >= 0
    assert factory.for_schema({"type": "string", "description": "State or Province (ex: 'CO', 'AZ')"},
                              "province") in ("CO", "AZ")
    factory.context = "createOrder spectrocoin"
    assert factory.for_schema({"type": "string", "description": "Payment deposit address"},
                              "depositAddress").startswith("bc1q")
    assert wrong_kind_values(_row(values, {})) == []


def _station_row(arguments: dict, result: dict) -> dict:
    tools = [{"type": "function", "function": {
        "name": "get_station", "description": "Get information about a specific station or stop by abbrevation",
        "parameters": {"type": "object", "properties": {
            "identifier": {"type": "string", "description": "The identifier path of the `subject` you're looking for"},
            "hashtags": {"type": "string", "description": "Comma separated list of hashtags and @mentions"},
            "ids": {"type": "string", "description": "Comma separated list of stop ids"}}}}}]
    row = _row(arguments, result)
    row["tools"] = json.dumps(tools)
    for message in row["messages"]:
        for call in message.get("tool_calls") or []:
            call["function"]["name"] = "get_station"
    return row


def test_the_third_readings_misses_are_seen():
    """docs/values.md, the held-out reading (seed 23): a station named after a person, a to-do title as a
    subject's identifier, a field list given as hashtags; a comma list of ids is no field list."""
    wrong = _station_row({"identifier": "Quarterly planning", "hashtags": "name,amount", "ids": "ST-10293,ST-20931"},
                         {"name": "Mark Grant", "abbrev": "MEZ"})
    assert wrong_kind_values(wrong) == [
        "get_station: identifier 'Quarterly planning': a title where an identifier belongs",
        "get_station: hashtags 'name,amount': a list of hashtags with no # or @",
        "get_station result: name 'Mark Grant': a person's name as the name of a place",
    ]
    right = _station_row({"identifier": "SU-13801", "hashtags": "#finale,@peel", "ids": "ST-10293"},
                         {"name": "Austin East Station", "abbrev": "MEZ"})
    assert wrong_kind_values(right) == []
    # a person's name is right for a bare name where the tool is about no place
    assert wrong_kind_values(_row({}, {"name": "Mark Grant"})) == []


def test_the_value_factory_names_places_identifiers_and_hashtags():
    factory = ValueFactory(seed=1)
    factory.context, factory.about = "get_betriebsstellen_abbrev transit", "Get a specific station or stop"
    assert factory.for_schema({"type": "string"}, "name").endswith(" Station")
    factory.context = "get_betriebsstellen_abbrev deutschebahn"  # a German railway's station: "Leipzig Hbf"
    assert factory.for_schema({"type": "string"}, "name").split()[-1] in ("Hbf", "Ost", "West", "Süd", "Nord")
    assert factory.for_schema({"type": "string", "description": "The identifier path of the `subject`"},
                              "identifier").startswith("SU-")
    tags = factory.for_schema({"type": "string", "description": "Comma separated list of hashtags and @mentions"},
                              "hashtags").split(",")
    assert len(tags) == 3 and all(t[0] in "#@" for t in tags)
    # no field words: a comma list of something else is not a field list
    assert factory.for_schema({"type": "string", "description": "Comma separated list of stop ids"},
                              "ids") not in {"id,name", "name,id"}
    factory.about = "List the songs of an album"
    assert not factory.for_schema({"type": "string"}, "name").endswith(" Station")


def test_news_fields_and_place_codes_get_their_own_kind_and_the_audit_sees_the_old_values():
    def news_row(result: dict, name: str = "get_top_stories", description: str = "Top stories of a section") -> dict:
        tools = [{"type": "function", "function": {"name": name, "description": description,
                                                   "parameters": {"type": "object", "properties": {}}}}]
        return {**_row({}, result), "domain": "nytimes", "tools": json.dumps(tools), "messages": [
            {"role": "user", "content": "please"},
            {"role": "assistant", "content": "", "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": name, "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": json.dumps(result)},
            {"role": "assistant", "content": "Done."}]}

    old = news_row({"results": [{"title": "Dentist visit", "caption": "Running 8 minutes late, sorry!",
                                 "locationCode": "Cape Town"}]})
    assert wrong_kind_values(old) == [
        "get_top_stories result: title 'Dentist visit': a to-do title outside any task",
        "get_top_stories result: caption 'Running 8 minutes late, sorry!': a chat message where a caption belongs",
        "get_top_stories result: locationCode 'Cape Town': a place's name where its code belongs",
    ]
    # a to-do title in a task tool is where it belongs
    assert wrong_kind_values(news_row({"title": "Dentist visit"}, "create_task", "Create a task")) == []
    factory = ValueFactory(seed=3)
    factory.context = "get_section_format nytimes"
    values = {field: factory.for_schema({"type": "string"}, field) for field in
              ("title", "caption", "locationCode", "des_facet", "geo_facet", "per_facet", "kicker")}
    assert values["title"] not in ("Dentist visit", "Team retro", "Quarterly planning", "Book club")
    assert values["locationCode"].isupper() and any(c.isdigit() for c in values["locationCode"])
    assert "," in values["per_facet"] and values["kicker"][0].isupper()
    fresh = news_row({"results": [{"title": values["title"], "caption": values["caption"],
                                   "locationCode": values["locationCode"], "des_facet": [values["des_facet"]]}]})
    assert wrong_kind_values(fresh) == []
    # the parts of a headline or byline object are the headline's or byline's text, not codes
    article = factory.for_schema({"type": "object", "required": ["headline", "byline"], "properties": {
        "headline": {"type": "object", "required": ["main"], "properties": {"main": {"type": "string"}}},
        "byline": {"type": "object", "required": ["original"], "properties": {"original": {"type": "string"}}}}})
    assert len(article["headline"]["main"].split()) >= 4 and article["byline"]["original"].startswith("By ")
    assert wrong_kind_values(news_row(article)) == []
    # a JSONP callback is a function's name whatever its description links to; a region code is a CLDR code
    callback = factory.for_schema({"type": "string", "description": "The [JSON-P](http://json-p.org/) callback"},
                                  "callback")
    assert callback.isidentifier() and factory.for_schema({"type": "string"}, "regionCode") in (
        "US", "GB", "FR", "DE", "JP", "BR", "CA", "ES")


def test_a_city_lies_in_the_state_beside_it():
    old = _row({}, {"city": "Oslo", "province": "CO"})
    assert wrong_kind_values(old) == ["lookup: city 'Oslo': a city outside its state (CO)"]
    assert wrong_kind_values(_row({}, {"city": "Denver", "province": "CO"})) == []
    factory = ValueFactory(seed=5)
    schema = {"type": "object", "required": ["city", "province"], "properties": {
        "city": {"type": "string"},
        "province": {"type": "string", "description": "State or Province (ex: 'CO', 'AZ')"}}}
    for _ in range(10):
        place = factory.for_schema(schema)
        assert place["province"] in ("CO", "AZ") and wrong_kind_values(_row({}, place)) == []


def test_one_tax_number_pattern_for_the_factory_and_the_audit():
    factory = ValueFactory(seed=2)
    ssn = factory.for_schema({"type": "string", "description": "Social security number (SSN)"}, "ssn")
    assert [len(part) for part in ssn.split("-")] == [3, 2, 4]
    assert wrong_kind_values(_row({"ein": ssn}, {})) == []  # a number: the shape the audit accepts
    assert wrong_kind_values(_row({}, {"ssn": "Jane Doe"})) == ["lookup result: ssn 'Jane Doe': a tax number that "
                                                                "is not a number"]


def _search_row(tool_name: str, description: str, domain: str, arguments: dict) -> dict:
    row = _row(arguments, {"results": []})
    tools = [{"type": "function", "function": {"name": tool_name, "description": description, "parameters": {
        "type": "object", "properties": {key: {"type": "string"} for key in arguments}}}}]
    row["tools"], row["domain"] = json.dumps(tools), domain
    call = row["messages"][1]["tool_calls"][0]["function"]
    call["name"] = tool_name
    return row


def test_a_search_asks_about_its_services_subject_and_the_audit_sees_one_that_does_not():
    """A query is a phrase of what the service is about (its tool's words, else its API's description); the audit
    flags one of the factory's phrases sent to a service of another subject."""
    from pathlib import Path

    from inftool_hf.sources.specs import load_spec
    from inftool_hf.synth.values import query_subject, subject_queries

    ice = "Search NSIDC data sets of the Arctic and Antarctic snow and ice"
    old = _search_row("open_search", ice, "nsidc", {"searchTerms": "agatha christie"})
    assert wrong_kind_values(old) == ["open_search: searchTerms 'agatha christie': a search about books sent to a "
                                      "service about snow and ice"]
    assert wrong_kind_values(_search_row("open_search", ice, "nsidc", {"searchTerms": "sea ice extent"})) == []
    # a service of no subject the factory knows: no judgement
    assert wrong_kind_values(_search_row("find", "Find things.", "misc", {"q": "agatha christie"})) == []
    assert query_subject("aucklandmuseum get_search Search the museum's collections") == "museums"
    assert query_subject("Find things.") is None

    spec = Path(__file__).parent.parent / "data" / "public_specs"
    for file, subject in (("nsidc.org_1.0.0.yaml", "snow and ice"), ("orghunter.com_1.0.0.yaml", "charities"),
                          ("nrel.gov_building-case-studies-1.0.yaml", "buildings and energy")):
        tools = [t for t in load_spec(spec / file).tools if any(
            k.lower().startswith(("search", "q")) for k in t.parameters.get("properties", {}))]
        assert tools, file
        for tool in tools:
            factory = ValueFactory(seed=4)
            factory.context, factory.about, factory.api = f"{tool.name} {tool.domain}", tool.description, tool.api
            key = next(k for k in tool.parameters["properties"] if k.lower().startswith(("search", "q")))
            value = factory.for_schema(tool.parameters["properties"][key], key)
            assert value in subject_queries(subject), (file, tool.name, key, value)


def test_the_fifth_readings_facet_list_and_read_answered_as_a_write_are_seen():
    """Rows 6 and 30 of the fifth reading (docs/values.md): a facet list the description gives one name a line, and
    a POST whose summary says "Get details!" answered as a write."""
    from pathlib import Path

    from inftool_hf.sources.specs import load_spec
    from inftool_hf.synth.tool_pool import operation_kind
    from inftool_hf.verify.audit import echo_mismatches

    specs = Path(__file__).parent.parent / "data" / "public_specs"
    search = load_spec(specs / "nytimes.com_article_search-1.0.0.yaml").tools[0]
    facet = search.parameters["properties"]["facet_field"]
    assert described_values(facet) == ["section_name", "document_type", "type_of_material", "source", "day_of_week"]
    row = _row({}, {})
    row["tools"] = json.dumps([search.to_openai()])
    row["messages"][1]["tool_calls"][0]["function"].update(name=search.name,
                                                           arguments=json.dumps({"facet_field": "date,id"}))
    assert wrong_kind_values(row) == [f"{search.name}: facet_field 'date,id': not one of the values its description "
                                      "lists (section_name, document_type, type_of_material, source)"]
    row["messages"][1]["tool_calls"][0]["function"]["arguments"] = json.dumps({"facet_field": "section_name,source"})
    assert wrong_kind_values(row) == []  # a comma list of listed facets
    assert ValueFactory(seed=1).for_schema(facet, "facet_field") in described_values(facet)

    premium = next(t for t in load_spec(specs / "orghunter.com_1.0.0.yaml").tools if t.name == "post_v1_charitypremium")
    assert operation_kind(premium.name, premium.description) == "read" and operation_kind(premium.name) == "write"
    assert operation_kind("post_message", "Post a message to a channel.") == "write"
    row = _row({}, {"status": "ok"})
    row["tools"] = json.dumps([premium.to_openai()])
    row["messages"][1]["tool_calls"][0]["function"].update(name=premium.name, arguments="{}")
    row["messages"][-1]["content"] = "Done, it's taken care of. The status is ok."
    assert echo_mismatches(row) == ["post_v1_charitypremium: a read answered as a write (Done, it's taken care of.)"]
    row["messages"][-1]["content"] = "Here are the details. The status is ok."
    assert echo_mismatches(row) == []


def test_the_sixth_readings_kinds_are_written_and_seen():
    """Rows 6, 15, 19, 21 and 26 of the sixth reading (docs/values.md): the old values are flagged, and the factory
    writes what the descriptions ask for."""
    from pathlib import Path

    from inftool_hf.sources.specs import load_spec
    from inftool_hf.synth.tool_pool import operation_kind
    from inftool_hf.synth.values import TODAY
    from inftool_hf.verify.audit import range_absurdities

    specs = Path(__file__).parent.parent / "data" / "public_specs"
    summary, row = _spec_row("orghunter.com_1.0.0.yaml", "get_summary",
                             {"state": "confirmed", "eligible": "OI941", "rows": "LN179"})
    call = row["messages"][1]["tool_calls"][0]["function"]
    assert wrong_kind_values(row) == [
        "get_summary: state 'confirmed': a US state that is no state code",
        "get_summary: eligible 'OI941': not the value its description spells (eligible=1)",
        "get_summary: rows 'LN179': a count that is no number"]
    factory = ValueFactory(seed=2)
    factory.context, factory.about = "get_summary orghunter", summary.description
    properties = summary.parameters["properties"]
    written = {key: factory.for_schema(properties[key], key) for key in ("state", "eligible", "rows")}
    assert written["eligible"] == "1" and written["rows"] == "20" and len(written["state"]) == 2
    call["arguments"] = json.dumps(written)
    assert wrong_kind_values(row) == []

    search = load_spec(specs / "nsidc.org_1.0.0.yaml").tools[0]
    row["tools"] = json.dumps([search.to_openai()])
    old = {"facetFilters": "https://www.vazquez.org/", "spatial": "PP262"}
    call.update(name=search.name, arguments=json.dumps(old))
    assert wrong_kind_values(row) == [
        f"{search.name}: facetFilters 'https://www.vazquez.org/': a JSON object that is no JSON object",
        f"{search.name}: spatial 'PP262': a bounding box that is not four numbers"]
    properties = search.parameters["properties"]
    call["arguments"] = json.dumps({key: factory.for_schema(properties[key], key) for key in old})
    assert wrong_kind_values(row) == []

    future = (TODAY + __import__("datetime").timedelta(days=45)).isoformat()
    assert range_absurdities(_row({}, {"results": [{"created_date": future}]})) == [
        f"lookup: created_date {future} (after the world's today, {TODAY}: it has not happened)"]
    assert range_absurdities(_row({}, {"results": [{"due_date": future}]})) == []  # a plan may lie ahead
    for name in ("created_date", "published_date", "last_updated_time"):
        assert factory.for_schema({"type": "string"}, name) <= TODAY.isoformat() + "T23", name

    sparql = next(t for t in load_spec(specs / "aucklandmuseum.com_2.0.0.yaml").tools if t.name == "post_sparql")
    assert operation_kind(sparql.name, sparql.description) == "read"
    assert operation_kind("postUsers", "Create a new Tradeworks User") == "write"


def test_a_description_that_spells_several_values_accepts_each():
    schema = {"type": "string", "description": "sort=asc for oldest first, sort=desc for newest first"}
    factory = ValueFactory(seed=3)
    assert {factory.for_schema(schema, "sort") for _ in range(12)} == {"asc", "desc"}
    row = _row({"sort": "desc"}, {})
    row["tools"] = json.dumps([{"type": "function", "function": {"name": "lookup", "description": "Search",
                                "parameters": {"type": "object", "properties": {"sort": schema}}}}])
    assert wrong_kind_values(row) == []
    row["messages"][1]["tool_calls"][0]["function"]["arguments"] = json.dumps({"sort": "newest"})
    assert wrong_kind_values(row) == ["lookup: sort 'newest': not the value its description spells (sort=asc, "
                                      "sort=desc)"]


def test_the_seventh_readings_kinds_are_written_and_seen():
    """Rows 5, 9, 13, 19 and 24 of the seventh reading (docs/values.md): a suggestion repeating its query's last
    word, a news abstract about an office matter, a ZIP code outside its state, a Deutsche Bahn station in Nairobi.
    The old values are flagged and the factory and simulator write ones the audit passes."""

    from inftool_hf.synth.simulator import plain_text_answer
    from inftool_hf.synth.values import STATE_ZIP_PREFIXES, STORY_TOPICS

    assert wrong_kind_values(_row({}, {"result": "sea ice extent extent, sea ice extent map"})) == [
        "lookup result: 'extent extent': a word said twice"]
    factory = ValueFactory(seed=4)
    for _ in range(20):
        answer = plain_text_answer("Suggest search terms based on a partial query", {"q": "sea ice extent"}, factory)
        assert answer and "extent extent" not in answer and answer.startswith("sea ice extent ")

    assert wrong_kind_values(_row({}, {"docs": [{"abstract": "A look back at next week's offsite."}]})) == [
        "lookup result: abstract \"A look back at next week's offsite.\": an office matter in a story's synopsis"]
    for seed in range(10):
        abstract = ValueFactory(seed=seed).for_schema({"type": "string"}, "abstract")
        assert any(topic in abstract for topic in STORY_TOPICS), abstract
    # a to-do's summary may be about the offsite
    assert wrong_kind_values(_row({}, {"task": {"summary": "Prepare the slides for next week's offsite."}})) == []

    summary, row = _spec_row("orghunter.com_1.0.0.yaml", "get_summary",
                             {"city": "Tampa", "state": "FL", "zipCode": "97589"})
    assert wrong_kind_values(row) == ["get_summary: zipCode '97589': a ZIP code outside its state (FL: 320-349)"]
    for seed in range(10):
        written = ValueFactory(seed=seed).separate_ends({"city": "Tampa", "state": "FL", "zipCode": "97589"},
                                                        summary.parameters["properties"])
        low, high = STATE_ZIP_PREFIXES["FL"]
        assert low <= int(written["zipCode"][:3]) <= high and len(written["zipCode"]) == 5, written

    stations, row = _spec_row("deutschebahn.com_betriebsstellen-v1.yaml", "get_betriebsstellen", {},
                              {"result": [{"name": "Nairobi North Station", "abbrev": "TQC"}]}, domain="deutschebahn")
    assert wrong_kind_values(row) == ["get_betriebsstellen result: name 'Nairobi North Station': a place in Nairobi, "
                                      "outside the API's country (Germany)"]
    factory = ValueFactory(seed=5)
    factory.context, factory.about, factory.api = "get_betriebsstellen deutschebahn", stations.description, \
        stations.api
    names = {factory.for_schema({"type": "string"}, "name") for _ in range(8)}
    assert all(name.split()[0] in ("Berlin", "Hamburg", "München", "Köln", "Frankfurt", "Leipzig", "Dresden",
                                   "Stuttgart") for name in names), names
    row["messages"][2]["content"] = json.dumps({"result": [{"name": sorted(names)[0], "abbrev": "TQC"}]})
    assert wrong_kind_values(row) == []
    row["messages"][2]["content"] = json.dumps({"result": [{"name": "Munich Hbf", "abbrev": "MH"}]})
    assert wrong_kind_values(row) == []  # an English name of a German city is still in Germany
    # a service that names no country keeps the factory's cities everywhere
    assert wrong_kind_values(_row({}, {"stations": [{"city": "Nairobi"}]})) == []


def test_the_eighth_readings_kinds_are_written_and_seen():
    """Rows 5, 13 and 16 of the eighth reading (docs/values.md): a station's UIC number given letters, a chat line to
    a colleague sent as a tweet about a show."""
    stations, row = _spec_row("deutschebahn.com_betriebsstellen-v1.yaml", "get_betriebsstellen_abbrev",
                              {"abbrev": "VXU"}, {"UIC": "OI719", "name": "Leipzig Nord"}, domain="deutschebahn")
    assert wrong_kind_values(row) == [
        f"{stations.name} result: UIC 'OI719': a UIC station number that is no number"]
    factory = ValueFactory(seed=6)
    factory.context, factory.api = f"{stations.name} deutschebahn", stations.api
    uic = factory.for_schema({"type": "string", "description": "UIC RICS code"}, "UIC")
    assert uic.isdigit() and uic.startswith("80") and len(uic) == 7  # 80: Germany's UIC country code
    row["messages"][2]["content"] = json.dumps({"UIC": uic, "name": "Leipzig Nord"})
    assert wrong_kind_values(row) == []

    tunein, row = _spec_row("peel-ci.com_1.0.0.yaml", "getTuneinLinks",
                            {"tweet": "Can you send me the slides for the team trip before Thursday?"})
    call = row["messages"][1]["tool_calls"][0]["function"]
    assert wrong_kind_values(row) == [
        "getTuneinLinks: tweet 'Can you send me the slides for the team trip before Thursday?': a chat message to a "
        "colleague where a social post belongs"]
    factory.context, factory.about = "getTuneinLinks peel-ci", tunein.description
    tweets = {factory.for_schema(tunein.parameters["properties"]["tweet"], "tweet") for _ in range(6)}
    assert all(any(show in t for show in ("Bake Off", "Planet Earth", "Doctor Who", "The Crown", "Saturday Night",
                                          "Jeopardy", "Succession", "Top Chef")) for t in tweets), tweets
    call["arguments"] = json.dumps({"tweet": sorted(tweets)[0]})
    assert wrong_kind_values(row) == []


def test_the_ninth_readings_kinds_are_written_and_seen():
    """Row 27 of the ninth reading (docs/values.md): an article's MongoDB ``_id`` given the code ``_I-37941``, and
    a byline printed "By Connor Soto" above three other writers."""
    from inftool_hf.verify.audit import placeholder_values

    search, row = _spec_row("nytimes.com_article_search-1.0.0.yaml", "get_articlesearch_json", {"q": "election"},
                            {"response": {"docs": [{"_id": "_I-37941", "byline": {
                                "original": "By Connor Soto", "person": ["Scott Williams", "Emily Walsh"]}}]}},
                            domain="nytimes")
    assert placeholder_values(row) == ["_id: _I-37941"]
    assert wrong_kind_values(row) == [
        "get_articlesearch_json result: byline 'By Connor Soto' names none of its people (Scott Williams, Emily "
        "Walsh)"]
    factory = ValueFactory(seed=9)
    factory.context, factory.about, factory.api = "get_articlesearch_json nytimes", search.description, search.api
    ids = {factory.minted_id("_id") for _ in range(5)}
    assert all(re.fullmatch(r"[A-Z]{2,3}-\d{5}", i) for i in ids), ids
    byline = factory.for_schema({"type": "object", "required": ["original", "person"], "properties": {
        "original": {"type": "string"}, "person": {"type": "array", "items": {"type": "string"}}}}, "byline")
    assert byline["person"] and byline["original"].startswith("By ")
    assert all(person in byline["original"] for person in byline["person"]), byline
    structured = {"original": "By Someone", "person": [{"firstname": "Ana", "lastname": "Ruiz"}]}
    from inftool_hf.synth.values import credit_people

    assert credit_people(structured)["original"] == "By Ana Ruiz"
    docs = {"response": {"docs": [{"_id": ids.pop(), "byline": byline}]}}
    row["messages"][2]["content"] = json.dumps(docs)
    assert placeholder_values(row) == [] and wrong_kind_values(row) == []
