"""Desk views, one module per concept: start page, phone intake, ticket page, ticket actions."""
