"""A minimal Django project around django-helpdesk 2.6.1: the peer TripCare is measured against."""
