import authkv

with authkv.Engine("app.redb") as engine:
    # A visitor logs in with a password; the session id and CSRF token rotate.
    engine.set_password(42, "ada@example.com", "correct horse battery")
    visitor = engine.create_session("203.0.113.9", "Mozilla/5.0")
    user_id = engine.attempt("ada@example.com", "correct horse battery", "203.0.113.9")
    session = engine.login(visitor.id, user_id)
    print("Set-Cookie:", engine.session_cookie(session.id))

    # The browser comes back from a first-party page (a stateful domain).
    who = engine.authenticate("GET", {
        "Cookie": f"authkv_session={session.id}",
        "Origin": "http://localhost:3000",
    })
    print("browser: user", who.user_id, "via", who.via)

    # An API client with a personal access token that may read orders.
    token = engine.create_token(user_id, "cli", ["orders:read"])
    who = engine.authenticate("POST", {"Authorization": f"Bearer {token.plain_text}"})
    who.require(all=["orders:read"])  # raises authkv.Forbidden otherwise
    print("api: user", who.user_id, "via token", who.token_id)
