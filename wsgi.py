from kyodo_admin import create_app

app = create_app()
