"""Every kind of Streamlit call that renders Markdown, given one hostile string three times: raw
(``R``), with every ASCII punctuation character backslash-escaped and nothing more (``B``), and
through ``ui.safe`` (``S``). Run by ``tests/test_browser_markup.py`` in chromium."""

import re

import streamlit as st

from ui import safe

H = (
    "![q](https://attacker.example/img.png) [x](javascript:alert(1)) [d](data:text/html,hi) **bold** _it_ "
    "<img src=https://attacker.example/raw.png> <b>btag</b> www.attacker.example/w https://attacker.example/auto "
    "a@attacker.example `code` $x^2$ :red[red] <https://attacker.example/angle> &amp; &#x3C;"
)


def sinks(tag: str, h: str) -> None:
    st.markdown(f"{tag}01 {h}")
    st.caption(f"{tag}02 {h}")
    st.write(f"{tag}03 {h}")
    st.error(f"{tag}04 {h}")
    st.warning(f"{tag}05 {h}")
    st.info(f"{tag}06 {h}")
    st.success(f"{tag}07 {h}")
    st.subheader(f"{tag}08 {h}", anchor=False)
    st.progress(0.3, text=f"{tag}09 {h}")
    with st.status(f"{tag}10 {h}", expanded=False):
        st.text("inside")
    with st.expander(f"{tag}11 {h}"):
        st.text("inside")
    st.tabs([f"{tag}12 {h}", "other"])
    st.button(f"{tag}13 {h}", key=f"{tag}b")
    st.checkbox(f"{tag}14 {h}", key=f"{tag}c")
    st.radio(f"{tag}15 {h}", [f"{tag}16 {h}", "plain"], key=f"{tag}r")
    st.metric(f"{tag}17 {h}", f"{tag}18 {h}", delta=f"{tag}19 {h}")
    st.text_input(f"{tag}20 {h}", key=f"{tag}t")
    st.select_slider(f"{tag}21 {h}", options=[f"{tag}22 {h}", "two"], key=f"{tag}s")
    st.caption("tooltip", help=f"{tag}23 {h}")
    st.markdown(f"{tag}24 link {safe.link('https://example.org/a_(b)') if tag == 'S' else h}")


sinks("R", H)
sinks("B", re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", H))
sinks("S", safe.md(H, 2000))
