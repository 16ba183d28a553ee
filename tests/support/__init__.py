"""Builders and helpers the test suite shares; test modules import them from
here, never from another test module or another folder's conftest.py.

auth        signing users in through the real mechanism (sessions, tokens)
sign_in     posting to the sign-in pages
mechanism   the demo directory plus a few organisations and staff; payloads
journeys    a case's steps through the API, each asserting its status
casework    cases built through the services, for page and browser tests
vault       synthetic people and key-file helpers
indicators  catalogues to break, codes to pick
browser     screenshots, one-time codes, staff for the browser tests
"""
