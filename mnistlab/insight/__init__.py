"""Reading a model: evaluation, inside a model, two runs compared, advice, and the charts."""
