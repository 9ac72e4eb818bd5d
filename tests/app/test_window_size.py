"""The window fits a 1280 x 720 projector with every panel shown."""


def test_window_fits_projector(main_window):
    hint = main_window.minimumSizeHint()
    assert hint.width() <= 1280, f"window needs {hint.width()} px, projector has 1280"
    assert hint.height() <= 720, f"window needs {hint.height()} px, projector has 720"
