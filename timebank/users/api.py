"""``/api/v1`` for users (SPEC §8). Each view: load, one service, dump."""
from __future__ import annotations

from timebank.api import bp, current_principal, load_body, load_query
from timebank.auth.access import allow
from timebank.db import get_db
from timebank.users import services
from timebank.users.permissions import MANAGE_USERS, READ_USER
from timebank.users.schemas import (
    NewUserSchema,
    UserCreateSchema,
    UserListQuerySchema,
    UserPageSchema,
    UserSchema,
    UserUpdateSchema,
)


@bp.post("/users")
@allow(MANAGE_USERS)
def create_user():
    """Create a user.
    ---
    post:
      tags: [users]
      summary: Create a user of any role; without a password a one-time password is generated and returned once
      requestBody:
        required: true
        content:
          application/json:
            schema: UserCreateSchema
      responses:
        201:
          description: the new user (with one_time_password when it was generated)
          content:
            application/json:
              schema: NewUserSchema
        409:
          description: the username is taken (already_exists)
    """
    data = load_body(UserCreateSchema)
    return NewUserSchema().dump(services.create_user(get_db(), actor=current_principal(), **data)), 201


@bp.get("/users")
@allow(MANAGE_USERS)
def list_users():
    """The users.
    ---
    get:
      tags: [users]
      summary: The users, by username
      parameters:
        - in: query
          schema: UserListQuerySchema
      responses:
        200:
          description: one page of users
          content:
            application/json:
              schema: UserPageSchema
    """
    query = load_query(UserListQuerySchema)
    return UserPageSchema().dump(services.list_users(get_db(), actor=current_principal(), **query))


@bp.get("/users/<int:user_id>")
@allow(READ_USER)
def get_user(user_id: int):
    """One user.
    ---
    get:
      tags: [users]
      summary: One user (an admin may read anyone; others only themselves)
      responses:
        200:
          description: the user
          content:
            application/json:
              schema: UserSchema
    """
    return UserSchema().dump(services.get_user(get_db(), actor=current_principal(), user_id=user_id))


@bp.patch("/users/<int:user_id>")
@allow(MANAGE_USERS)
def update_user(user_id: int):
    """Change or (de)activate a user.
    ---
    patch:
      tags: [users]
      summary: Change a user's role, centers or name, or deactivate them (ends their sessions and tokens)
      requestBody:
        required: true
        content:
          application/json:
            schema: UserUpdateSchema
      responses:
        200:
          description: the user as they are now
          content:
            application/json:
              schema: UserSchema
        409:
          description: the last active admin cannot be deactivated or demoted (last_admin)
    """
    data = load_body(UserUpdateSchema)
    return UserSchema().dump(services.update_user(get_db(), actor=current_principal(), user_id=user_id, **data))


@bp.post("/users/<int:user_id>/reset-password")
@allow(MANAGE_USERS)
def reset_password(user_id: int):
    """Give a user a new one-time password.
    ---
    post:
      tags: [users]
      summary: Give a user a new one-time password (returned once), ending all their sessions and tokens
      responses:
        200:
          description: the user, with one_time_password
          content:
            application/json:
              schema: NewUserSchema
    """
    return NewUserSchema().dump(services.reset_password(get_db(), actor=current_principal(), user_id=user_id))


