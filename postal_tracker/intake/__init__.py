"""Recording a dossier at pickup."""
