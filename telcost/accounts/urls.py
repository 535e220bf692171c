"""Pages of the accounts app: the users (staff), my account (everyone), the set-password link."""

from django.urls import path

from telcost.accounts import views

app_name = "accounts"
urlpatterns = [
    path("users/", views.users_page, name="users"),
    path("users/new/", views.user_new_page, name="user_new"),
    path("users/<int:user_id>/", views.user_page, name="user"),
    path("users/<int:user_id>/memberships/", views.user_membership_add, name="membership_add"),
    path(
        "users/<int:user_id>/memberships/<int:customer_id>/remove/",
        views.user_membership_remove,
        name="membership_remove",
    ),
    path("users/<int:user_id>/password-link/", views.user_password_link, name="password_link"),
    path("account/", views.account_page, name="account"),
    path("account/tokens/", views.account_token_create, name="token_create"),
    path("account/tokens/<int:token_id>/revoke/", views.account_token_revoke, name="token_revoke"),
    path("set-password/<uidb64>/<token>/", views.SetPasswordView.as_view(), name="set_password"),
]
