import json
from collections import Counter
from pathlib import Path

import pytest

from inftool_hf.sources.specs import (
    SpecError,
    ToolSpec,
    load_function_list,
    load_openapi,
    load_spec,
    load_specs,
    spec_pack_dir,
    tools_dataset,
    tools_from_callables,
    tools_from_module,
)

DATA = Path(__file__).resolve().parents[1] / "data"


def by_name(load):
    return {t.name: t for t in load.tools}


def test_embedded_pack_size_domains_and_formats():
    load = load_specs([spec_pack_dir()])
    assert load.warnings == []
    assert len(load.tools) >= 100
    domains = Counter(t.domain for t in load.tools)
    assert len(domains) >= 12
    suffixes = {Path(t.source.split("#")[0]).name.split(".", 1)[1] for t in load.tools}
    assert {"openapi.yaml", "openapi.json", "swagger.yaml", "swagger.json", "tools.yaml", "tools.json"} <= suffixes
    with_response = sum(t.response_schema is not None for t in load.tools)
    assert with_response == len(load.tools)


def test_real_world_openapi_with_refs():
    tools = by_name(load_openapi(DATA / "real_world" / "petstore.yaml"))
    expected = {"addPet", "updatePet", "findPetsByStatus", "getPetById", "deletePet", "placeOrder", "loginUser"}
    assert expected <= set(tools)
    pet = tools["addPet"].parameters
    assert pet["required"] == ["name", "photoUrls"]
    assert pet["properties"]["category"]["properties"]["name"]["type"] == "string"  # $ref resolved, nested
    assert pet["properties"]["tags"]["items"]["type"] == "object"  # array of $ref objects
    assert tools["findPetsByStatus"].parameters["properties"]["status"]["enum"] == ["available", "pending", "sold"]
    assert tools["getPetById"].parameters["required"] == ["petId"]  # path parameter
    assert "api_key" not in tools["deletePet"].parameters["properties"]  # header parameters are transport
    assert tools["getPetById"].response_schema["properties"]["status"]["enum"]
    assert tools["getPetById"].endpoint == "GET /pet/{petId}"
    assert tools["getPetById"].domain == "petstore"


def test_openapi_allof_body_and_shared_path_parameters():
    tools = by_name(load_spec(spec_pack_dir() / "bookstore.openapi.yaml"))
    order = tools["bookstore_place_order"].parameters
    assert set(order["required"]) == {"session_token", "book_ids", "delivery"}  # allOf merged
    assert order["properties"]["delivery"]["enum"] == ["home", "pickup"]
    book = tools["bookstore_get_book"].response_schema  # allOf in a response
    assert {"book_id", "title", "price", "genre"} <= set(book["properties"])
    tasks = by_name(load_spec(spec_pack_dir() / "projects.openapi.json"))
    assert "project_id" in tasks["tracker_create_task"].parameters["required"]  # path-item parameters


def test_swagger2_body_parameters_and_exclusive_minimum():
    tools = by_name(load_spec(spec_pack_dir() / "shop.swagger.yaml"))
    cart = tools["shop_add_to_cart"].parameters
    assert set(cart["required"]) == {"cart_id", "product_id", "quantity"}
    assert tools["shop_search_products"].parameters["properties"]["category"]["enum"][0] == "produce"
    banking = by_name(load_spec(spec_pack_dir() / "banking.openapi.yaml"))
    amount = banking["banking_transfer_funds"].parameters["properties"]["amount"]
    assert amount == {"type": "number", "exclusiveMinimum": 0}


def test_function_lists_both_shapes(tmp_path):
    bare = by_name(load_spec(spec_pack_dir() / "weather.tools.yaml"))
    assert bare["weather_daily_forecast"].parameters["required"] == ["location", "days"]
    assert bare["weather_daily_forecast"].domain == "weather"
    wrapped = by_name(load_spec(spec_pack_dir() / "hotels.tools.json"))
    assert wrapped["hotels_search"].domain == "hotels"
    assert wrapped["hotels_search"].to_openai()["function"]["name"] == "hotels_search"


def test_python_callables_and_module():
    def convert_temperature(value: float, unit: str = "celsius") -> float:
        """Convert a temperature.

        Args:
            value: The temperature to convert.
            unit: The unit to convert to.
        """
        return value

    def undocumented(x):
        return x

    load = tools_from_callables([convert_temperature, undocumented], domain="units")
    [tool] = load.tools
    assert tool.name == "convert_temperature" and tool.parameters["required"] == ["value"]
    assert tool.parameters["properties"]["value"]["type"] == "number"
    assert tool.response_schema == {"type": "number"}
    assert load.warnings and "undocumented" in load.warnings[0]
    import types

    module = types.ModuleType("toolbox")
    convert_temperature.__module__ = "toolbox"
    module.convert_temperature = convert_temperature
    assert [t.name for t in tools_from_module(module).tools] == ["convert_temperature"]


def test_rows_round_trip_through_datasets():
    load = load_spec(spec_pack_dir() / "music.tools.yaml")
    dataset = tools_dataset(load)
    assert len(dataset) == len(load.tools)
    assert ToolSpec.from_row(dataset[0]) == load.tools[0]


# --- broken specs: one clear error naming file, place and problem ---------------------------------

def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text) if isinstance(text, str) else path.write_bytes(text)
    return path


def test_invalid_yaml_names_line(tmp_path):
    path = write(tmp_path, "bad.yaml", "openapi: 3.0.0\npaths:\n  /x: {get: [unclosed\n")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert "bad.yaml" in str(err.value) and "line" in err.value.location and "invalid YAML" in err.value.problem


def test_invalid_json_names_line(tmp_path):
    with pytest.raises(SpecError, match=r"bad.json: line 2, column \d+: invalid JSON"):
        load_spec(write(tmp_path, "bad.json", '[\n  {"name": "x",,}\n]'))


def test_dangling_ref(tmp_path):
    path = write(tmp_path, "dangling.yaml", json.dumps({
        "openapi": "3.0.0", "info": {"title": "t", "version": "1"},
        "paths": {"/a": {"get": {"operationId": "a", "parameters": [{"$ref": "#/components/parameters/Nope"}],
                                  "responses": {"200": {"description": "ok"}}}}}}))
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert "cannot resolve reference" in err.value.problem and "dangling.yaml" in str(err.value)


def test_not_a_spec_and_missing_file(tmp_path):
    with pytest.raises(SpecError, match="not an OpenAPI 3.x or Swagger 2.0"):
        load_openapi(write(tmp_path, "x.yaml", "openapi: 1.0\npaths: {}\n"))
    with pytest.raises(SpecError, match="file not found"):
        load_spec(tmp_path / "missing.yaml")
    with pytest.raises(SpecError, match="expected a list of tools"):
        load_function_list(write(tmp_path, "n.json", '"just a string"'))


def test_non_utf8(tmp_path):
    with pytest.raises(SpecError, match="not UTF-8"):
        load_spec(write(tmp_path, "latin.yaml", "title: caf\xe9\n".encode("latin-1")))


def test_bad_operation_is_skipped_with_warning(tmp_path):
    spec = {"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": {
        "/good": {"get": {"operationId": "good_op", "responses": {"200": {"description": "ok"}}}},
        "/bad": {"get": {"operationId": "bad op!", "parameters": [{"in": "query"}],
                         "responses": {"200": {"description": "ok"}}}},
        "/dup": {"post": {"operationId": "good_op", "responses": {"200": {"description": "ok"}}}},
    }}
    load = load_openapi(write(tmp_path, "partial.json", json.dumps(spec)))
    assert [t.name for t in load.tools] == ["good_op"]
    assert len(load.warnings) == 2
    assert any("#/paths/~1bad/get" in w and "no 'name' or 'in'" in w for w in load.warnings)
    assert any("duplicate operation name" in w for w in load.warnings)


def test_yaml_boolean_enum_is_reported(tmp_path):
    text = ("- name: set_mode\n  parameters:\n    type: object\n    properties:\n"
            "      mode: {type: string, enum: [on, off]}\n")
    with pytest.raises(SpecError) as err:
        load_spec(write(tmp_path, "modes.yaml", text))
    assert "quote them" in str(err.value)


def test_oversized_spec_is_refused(tmp_path, monkeypatch):
    import inftool_hf.sources.specs as specs

    monkeypatch.setattr(specs, "MAX_SPEC_BYTES", 1000)
    with pytest.raises(SpecError, match="the limit is"):
        load_spec(write(tmp_path, "big.json", "[" + " " * 2000 + "]"))


REAL_WORLD_SHAPES = """
openapi: 3.0.3
info: {title: feeds, version: "1"}
components:
  securitySchemes:
    signature: {type: apiKey, in: query, name: sig}
paths:
  /feeds/:feed_key/data:
    get:
      operationId: list_feed_data
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
        - {name: api_key, in: query, required: true, schema: {type: string}}
        - {name: api-version, in: query, required: true, schema: {type: string}}
        - {name: sig, in: query, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  id: {type: string}
                  password: {type: string, writeOnly: true}
  /dashboards/{dashboard_id}:
    put:
      operationId: update_dashboard
      parameters:
        - {name: dashboard_id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [dashboard_id, name, created_at]
              properties:
                dashboard_id: {type: integer}
                name: {type: string}
                created_at: {type: string, format: date-time, readOnly: true}
      responses: {"200": {description: ok}}
"""


def test_real_world_shapes_credentials_route_placeholders_clashes_and_read_only(tmp_path):
    """What real specs do that the pack never did: credentials as query parameters (by security scheme and by
    name) are the client's, an Express-style ``:feed_key`` route placeholder nobody declared is still an argument,
    a body field never retypes the path parameter of the same name, and fields the server sets (``readOnly``) are
    not sent while ``writeOnly`` ones are not read back."""
    spec = tmp_path / "feeds.yaml"
    spec.write_text(REAL_WORLD_SHAPES)
    tools = {t.name: t for t in load_spec(spec).tools}
    listing = tools["list_feed_data"].parameters
    assert set(listing["properties"]) == {"limit", "feed_key"} and listing["required"] == ["feed_key"]
    assert tools["list_feed_data"].response_schema["properties"] == {"id": {"type": "string"}}
    update = tools["update_dashboard"].parameters
    assert update["properties"]["dashboard_id"] == {"type": "string"}  # the path's type, not the body's integer
    assert "created_at" not in update["properties"] and update["required"] == ["dashboard_id", "name"]
