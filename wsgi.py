from timebank import create_app

app = create_app()
