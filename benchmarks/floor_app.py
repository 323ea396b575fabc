"""The smallest Streamlit page (a title): what N browsers opening a Streamlit link cost on this
machine before any of the dashboard's work. ``bench_dashboard.py --sessions N`` opens it in the
same way as the dashboard, as the floor its workshop figure is read against."""

import streamlit as st

st.title("Pockets of poverty")
