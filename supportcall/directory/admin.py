from django.contrib import admin

from .models import Agent, Queue, Site


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "enabled", "origins", "created"]
    list_filter = ["enabled"]
    search_fields = ["key", "name"]
    filter_horizontal = ["queues"]

    @admin.display(description="allowed origins")
    def origins(self, site: Site) -> str:
        return ", ".join(site.allowed_origins)


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ["name", "display_name", "created"]
    search_fields = ["name", "display_name"]


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["user", "display_name", "presence", "queue_names"]
    list_filter = ["presence", "queues"]
    search_fields = ["user__username", "display_name"]
    filter_horizontal = ["queues"]

    @admin.display(description="queues")
    def queue_names(self, agent: Agent) -> str:
        return ", ".join(q.name for q in agent.queues.all())
