from django.urls import path

from gongzhi.analytics import views

app_name = "transparency"
urlpatterns = [path("", views.public, name="figures")]
