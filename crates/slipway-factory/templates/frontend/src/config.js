// What the app shows about itself.
export const APP_TITLE = {{ title|tojson }};
export const APP_DESCRIPTION = {{ description|tojson }};
