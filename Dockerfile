FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY kassa_server ./kassa_server
COPY migrations ./migrations
COPY xsd ./xsd
RUN pip install --no-cache-dir ".[postgres]"
ENV KASSA_HOST=0.0.0.0 KASSA_PORT=8080
EXPOSE 8080
CMD ["kassa-server", "serve", "--demo"]
