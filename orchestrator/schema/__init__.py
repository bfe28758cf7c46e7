"""The project schema: Pydantic models, preset loading, cross-field rules."""
