FROM python:3.12-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY survey ./survey
COPY analysis ./analysis
COPY templates ./templates
COPY locales ./locales
RUN pip install --no-cache-dir -e .
ENV SURVEY_HOST=0.0.0.0
EXPOSE 8000
CMD ["survey", "run", "--workers", "2"]
