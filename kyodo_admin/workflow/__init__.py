"""Workflow: states and transitions as data, and deadlines on the Japanese calendar."""
