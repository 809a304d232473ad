# Tables arrive with this app's issue; the app is registered so its URLs, templates and migrations have a home.
