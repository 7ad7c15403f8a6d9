"""Professional development courses: authoring, learning, progress, certificates."""
