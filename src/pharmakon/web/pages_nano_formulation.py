"""Workbench pages of nano formulation."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
