from tests.factories import login, make_user


def test_login_page_renders_in_russian(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "Вход в методический кабинет" in response.get_data(as_text=True)


def test_teacher_lands_on_teacher_home(client):
    user = make_user()
    response = login(client, user)
    assert response.status_code == 302
    page = client.get("/home")
    assert "Кабинет педагога" in page.get_data(as_text=True)
