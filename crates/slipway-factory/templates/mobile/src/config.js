// What the app shows about itself and where its back end is.
export const APP_NAME = {{ app_name|tojson }};
export const APP_DESCRIPTION = {{ description|tojson }};
// On the Android emulator the host machine is 10.0.2.2, not localhost.
export const API_BASE_URL = {{ api_base_url|tojson }};
