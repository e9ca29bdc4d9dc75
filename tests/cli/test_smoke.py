def test_add_show(vet):
    k = vet.add_client(phone="06 12345678", reminders=True)
    p = vet.add_pet(k, weight="4,25")
    card = vet.ok("client", "show", k, "--format", "json").json()
    assert card["pets"][0]["number"] == p
    assert card["pets"][0]["weight_kg"] == "4.25"
    assert [c["purpose"] for c in card["consents"]] == ["care", "reminders"]
