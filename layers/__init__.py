"""Folium map layers for every page (zones, parcels, factories, sites, unlocks), offline assets, map queries.

Import the submodules (``layers.build``, ``layers.query``, ``layers.export``, ``layers.tables``); ``layers.assets``
is standard-library only so run.py can install the front-end files before anything else.
"""
