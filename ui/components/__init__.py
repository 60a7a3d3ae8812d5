"""Components: each ``show(key, ...)`` renders one part of a page and owns its session_state keys."""
