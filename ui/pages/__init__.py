"""Pages: layout only. Each file is a Streamlit page run by ``st.navigation`` in app.py."""
