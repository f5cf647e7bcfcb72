def test_create_list_get_update_delete(client):
    r = client.post("/items", json={"name": "Widget", "description": "A widget", "price": 9.5})
    assert r.status_code == 201, r.text
    item = r.json()
    assert item["name"] == "Widget" and item["price"] == 9.5

    r = client.get("/items")
    assert r.status_code == 200
    assert [i["id"] for i in r.json()] == [item["id"]]

    r = client.get(f"/items/{item['id']}")
    assert r.status_code == 200 and r.json()["description"] == "A widget"

    r = client.put(f"/items/{item['id']}", json={"price": 12})
    assert r.status_code == 200 and r.json()["price"] == 12 and r.json()["name"] == "Widget"

    r = client.delete(f"/items/{item['id']}")
    assert r.status_code == 204
    assert client.get(f"/items/{item['id']}").status_code == 404


def test_invalid_items_are_refused(client):
    assert client.post("/items", json={"name": ""}).status_code == 422
    assert client.post("/items", json={"name": "x", "price": -1}).status_code == 422
    assert client.get("/items?limit=1000").status_code == 422
    assert client.put("/items/999", json={"name": "x"}).status_code == 404
{%- if enable_auth %}


def test_the_api_key_is_required(client):
    del client.headers["X-API-Key"]
    assert client.get("/items").status_code == 401
    assert client.get("/items", headers={"X-API-Key": "wrong"}).status_code == 401
    assert client.get("/health").status_code == 200
{%- endif %}
