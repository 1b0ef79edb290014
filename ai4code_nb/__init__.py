__version__ = "0.1.0"

def __getattr__(name):
    "`from ai4code_nb import reorder`, imported only when asked for: the data modules stay free of torch"
    if name == 'reorder':
        from .predict import reorder
        return reorder
    raise AttributeError(f"module 'ai4code_nb' has no attribute {name!r}")
