"""The project's URLs plus one authenticated API view, to test session access to the API."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.urls import urlpatterns as project_urlpatterns


class WhoAmI(APIView):
    def get(self, request):
        return Response({"username": request.user.get_username()})


urlpatterns = [*project_urlpatterns, path("api/v1/test-whoami/", WhoAmI.as_view())]
