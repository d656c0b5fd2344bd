"""Signing in to the API and managing one's own password: ``/api/v1/auth/…``."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, request

from timebank.api import bp, current_principal, load_body
from timebank.auth import services
from timebank.auth.access import ROLES, allow
from timebank.auth.schemas import PasswordChangeSchema, PrincipalSchema, TokenRequestSchema, TokenSchema
from timebank.db import get_db


@bp.post("/auth/tokens")
@allow(public=True)
def create_token():
    """Sign in and get an API token.
    ---
    post:
      tags: [auth]
      summary: Sign in with a username and password and get a bearer token
      description: >
        Failed attempts are throttled per username and address (after 5 failures within 15 minutes that pair waits),
        with a growing delay for addresses that keep failing on one username, and per address alone at a much higher
        bound; a throttled attempt is answered 429 with a Retry-After header. A password change ends every token
        of the user.
      requestBody:
        required: true
        content:
          application/json:
            schema: TokenRequestSchema
      responses:
        201:
          description: the token and when it expires
          content:
            application/json:
              schema: TokenSchema
        401:
          $ref: "#/components/responses/Unauthorized"
        429:
          $ref: "#/components/responses/TooManyRequests"
    """
    data = load_body(TokenRequestSchema)
    ttl = timedelta(seconds=int(current_app.config.get("TOKEN_TTL_SECONDS") or 12 * 3600))
    token, expires_at = services.issue_token(get_db(), username=data["username"], password=data["password"],
                                             address=request.remote_addr, ttl=ttl)
    return TokenSchema().dump({"token": token, "expires_at": expires_at}), 201


@bp.delete("/auth/tokens/current")
@allow(*ROLES, allow_pending_password=True)
def revoke_current_token():
    """Sign out: end the token this request carries.
    ---
    delete:
      tags: [auth]
      summary: End the bearer token this request carries
      responses:
        204:
          description: the token no longer works
    """
    current_principal()
    _scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    services.revoke_token(get_db(), token.strip())
    return "", 204


@bp.get("/auth/me")
@allow(*ROLES, allow_pending_password=True)
def who_am_i():
    """Who the token belongs to.
    ---
    get:
      tags: [auth]
      summary: The signed-in user, their role and centers
      responses:
        200:
          description: the caller
          content:
            application/json:
              schema: PrincipalSchema
    """
    principal = current_principal()
    return PrincipalSchema().dump({**principal.__dict__,
                                   "supervised_center_ids": sorted(principal.supervised_center_ids)})


@bp.post("/auth/password")
@allow(*ROLES, allow_pending_password=True)
def change_password():
    """Change one's own password.
    ---
    post:
      tags: [auth]
      summary: Change your own password (ends all your tokens and sessions, this one included)
      requestBody:
        required: true
        content:
          application/json:
            schema: PasswordChangeSchema
      responses:
        204:
          description: changed; sign in again with the new password
        429:
          $ref: "#/components/responses/TooManyRequests"
    """
    data = load_body(PasswordChangeSchema)
    services.change_password(get_db(), principal=current_principal(), current_password=data["current_password"],
                             new_password=data["new_password"], address=request.remote_addr)
    return "", 204
