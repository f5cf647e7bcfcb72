# {{ project_name }}: {{ description }}
